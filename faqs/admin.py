from django import forms
from django.contrib import admin
from django.forms.models import BaseInlineFormSet

from core.admin import TenantScopedAdmin, TenantScopedInline
from core.errors import ValidationFailed
from faqs import services
from faqs.models import Faq, FaqConversation, FaqPhrasing, QuestionRouting, Task


class ConversationLinkInline(TenantScopedInline):
    model = FaqConversation
    fields = ["conversation", "asked_as", "answer_sent_at", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class PhrasingFormSet(BaseInlineFormSet):
    def delete_existing(self, obj, commit=True):
        # Through the service, so every process's search index forgets the wording.
        if commit:
            services.phrasing_delete(phrasing=obj)


class PhrasingInline(TenantScopedInline):
    """Prospects' wordings of the question; a wrong one is removed here (or over the API)."""

    model = FaqPhrasing
    formset = PhrasingFormSet
    fields = ["text", "conversation", "created_at"]
    readonly_fields = fields
    verbose_name_plural = "Learned phrasings (prospects' wordings the bot answers once the FAQ is answered)"

    def has_add_permission(self, request, obj=None):
        return False


class TaskInline(TenantScopedInline):
    model = Task
    fk_name = "faq"
    fields = ["question", "status", "assigned_to", "completed_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


EDITABLE = ("question", "answer", "category", "property", "review_note")


@admin.register(Faq)
class FaqAdmin(TenantScopedAdmin):
    list_display = ["question", "company", "property", "status", "category", "assigned_to", "ask_count", "answered_at"]
    list_filter = ["status", "source_type", "category"]
    search_fields = ["question", "answer", "category"]
    list_select_related = ["company", "property", "assigned_to__user"]
    autocomplete_fields = ["property"]
    # Status and assignee move only through the workflow (the API's checked transitions).
    readonly_fields = [
        "status",
        "assigned_to",
        "source_type",
        "answered_by",
        "answered_at",
        "ask_count",
        "embedding_model",
        "indexed_at",
        "created_at",
        "updated_at",
    ]
    fields = ["company", "property", "question", "answer", "category", "review_note", *readonly_fields]
    write_requires = "property"
    inlines = [PhrasingInline, ConversationLinkInline, TaskInline]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "company"] if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        # Through the services, so the vectors follow the texts. The form has already copied its
        # values onto `obj`, so the service gets the stored row to compare them with.
        if change:
            edited = {name: form.cleaned_data[name] for name in form.changed_data if name in EDITABLE}
            services.faq_update(faq=Faq.objects.get(pk=obj.pk), **edited)
            return
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
    autocomplete_fields = ["property"]
    raw_id_fields = ["conversation"]
    # Status and assignee move only through the workflow (the API's checked transitions).
    readonly_fields = ["status", "assigned_to", "faq", "completed_at", "created_at", "updated_at"]
    write_requires = "property"


class QuestionRoutingForm(forms.ModelForm):
    class Meta:
        model = QuestionRouting
        fields = ["property", "mode", "manager"]

    def clean(self):
        data = super().clean()
        if data.get("property") is not None:
            try:
                services.routing_validate(property=data["property"], mode=data.get("mode"), manager=data.get("manager"))
            except ValidationFailed as exc:
                raise forms.ValidationError(exc.message) from None
        return data


@admin.register(QuestionRouting)
class QuestionRoutingAdmin(TenantScopedAdmin):
    form = QuestionRoutingForm
    list_display = ["property", "mode", "manager", "last_assigned", "updated_at"]
    list_filter = ["mode"]
    search_fields = ["property__name"]
    list_select_related = ["property", "manager__user", "last_assigned__user"]
    autocomplete_fields = ["property", "manager"]
    readonly_fields = ["last_assigned", "updated_at"]
    write_requires = "company_admin"

    def save_model(self, request, obj, form, change):
        # The service checks that a chosen manager can answer for the property.
        services.routing_update(property=obj.property, mode=obj.mode, manager=obj.manager)
