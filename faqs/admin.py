from django.contrib import admin

from core.admin import TenantScopedAdmin, TenantScopedInline
from faqs import services
from faqs.models import Faq, FaqConversation, QuestionRouting, Task


class ConversationLinkInline(TenantScopedInline):
    model = FaqConversation
    fields = ["conversation", "asked_as", "answer_sent_at", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class TaskInline(TenantScopedInline):
    model = Task
    fk_name = "faq"
    fields = ["question", "status", "assigned_to", "completed_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Faq)
class FaqAdmin(TenantScopedAdmin):
    list_display = ["question", "company", "property", "status", "category", "assigned_to", "ask_count", "answered_at"]
    list_filter = ["status", "source_type", "category"]
    search_fields = ["question", "answer", "category"]
    list_select_related = ["company", "property", "assigned_to__user"]
    autocomplete_fields = ["property", "assigned_to"]
    readonly_fields = [
        "status",
        "source_type",
        "answered_by",
        "answered_at",
        "ask_count",
        "embedding_model",
        "indexed_at",
        "created_at",
        "updated_at",
    ]
    fields = ["company", "property", "question", "answer", "category", "assigned_to", "review_note", *readonly_fields]
    write_requires = "property"
    inlines = [ConversationLinkInline, TaskInline]

    def save_model(self, request, obj, form, change):
        # Through the services, so the vectors follow the texts.
        if change:
            fields = {
                name: form.cleaned_data[name]
                for name in form.changed_data
                if name in ("question", "answer", "category", "property", "review_note", "assigned_to")
            }
            services.faq_update(faq=obj, **fields)
        else:
            created = services.faq_create(
                company=obj.company,
                property=obj.property,
                question=obj.question,
                answer=obj.answer,
                category=obj.category,
            )
            obj.pk = created.pk
            obj._state.adding = False


@admin.register(Task)
class TaskAdmin(TenantScopedAdmin):
    list_display = ["question", "property", "status", "assigned_to", "created_at", "completed_at"]
    list_filter = ["status"]
    search_fields = ["question", "answer"]
    list_select_related = ["property", "assigned_to__user"]
    autocomplete_fields = ["property", "assigned_to"]
    raw_id_fields = ["conversation", "faq"]
    readonly_fields = ["completed_at", "created_at", "updated_at"]
    write_requires = "property"


@admin.register(QuestionRouting)
class QuestionRoutingAdmin(TenantScopedAdmin):
    list_display = ["property", "mode", "manager", "last_assigned", "updated_at"]
    list_filter = ["mode"]
    search_fields = ["property__name"]
    list_select_related = ["property", "manager__user", "last_assigned__user"]
    autocomplete_fields = ["property", "manager"]
    readonly_fields = ["last_assigned", "updated_at"]
    write_requires = "company_admin"
