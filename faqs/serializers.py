from rest_framework import serializers

from companies.models import Company
from conversations.models import Conversation
from core.tenancy import TenantRelatedField
from faqs.models import Faq, FaqPhrasing, QuestionRouting, RoutingMode, Task, TaskStatus
from properties.models import Property, PropertyManager


class FaqSerializer(serializers.ModelSerializer):
    """FAQAPI, plus the workflow's details."""

    property_id = serializers.UUIDField(
        read_only=True, allow_null=True, help_text="Empty for an FAQ shared by all the company's properties."
    )
    company_id = serializers.UUIDField(read_only=True)
    scope = serializers.ChoiceField(["property", "company"], read_only=True)
    assigned_to = serializers.UUIDField(source="assigned_to_id", read_only=True, allow_null=True)
    answered_by = serializers.UUIDField(source="answered_by_id", read_only=True, allow_null=True)
    conversation_ids = serializers.SerializerMethodField(help_text="The conversations that asked this question.")

    class Meta:
        model = Faq
        fields = [
            "id",
            "property_id",
            "company_id",
            "scope",
            "question",
            "answer",
            "category",
            "source_type",
            "status",
            "assigned_to",
            "answered_by",
            "answered_at",
            "review_note",
            "ask_count",
            "conversation_ids",
            "indexed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_conversation_ids(self, faq) -> list[str]:
        return [str(link.conversation_id) for link in faq.conversation_links.all()]


class FaqPhrasingSerializer(serializers.ModelSerializer):
    """A prospect's wording of the FAQ's question, learned when it was asked."""

    faq_id = serializers.UUIDField(read_only=True)
    conversation_id = serializers.UUIDField(
        read_only=True, allow_null=True, help_text="The conversation it was asked in, if any."
    )

    class Meta:
        model = FaqPhrasing
        fields = ["id", "faq_id", "text", "conversation_id", "created_at"]
        read_only_fields = fields


class FaqWriteSerializer(serializers.Serializer):
    company_id = TenantRelatedField(
        source="company",
        queryset=Company.objects.all(),
        required=False,
        help_text="Platform staff creating a shared FAQ only; otherwise the property's company.",
    )
    property_id = TenantRelatedField(
        source="property",
        queryset=Property.objects.all(),
        allow_null=True,
        required=False,
        help_text="Omit or null for an FAQ shared by all the company's properties (administrators only).",
    )
    question = serializers.CharField(max_length=1000)
    answer = serializers.CharField(
        max_length=5000,
        required=False,
        allow_blank=True,
        help_text="On create: with an answer the FAQ is answered at once, without one it is pending.",
    )
    category = serializers.CharField(max_length=64, required=False, allow_blank=True)


class FaqAnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(
        max_length=5000, required=False, allow_blank=True, help_text="Omit to approve the FAQ's current answer."
    )


class FaqReviewSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class RagQuerySerializer(serializers.Serializer):
    property_id = TenantRelatedField(source="property", queryset=Property.objects.all())
    query = serializers.CharField(max_length=1000)
    top_k = serializers.IntegerField(min_value=1, max_value=20, default=3)


class RagResultSerializer(serializers.Serializer):
    faq_id = serializers.UUIDField()
    question = serializers.CharField()
    answer = serializers.CharField()
    score = serializers.FloatField()


class RagQueryResultSerializer(serializers.Serializer):
    results = RagResultSerializer(many=True)
    answered = serializers.BooleanField(help_text="Whether the first result is good enough to answer with.")


class RagUpdateSerializer(serializers.Serializer):
    property_id = TenantRelatedField(
        source="property",
        queryset=Property.objects.all(),
        required=False,
        allow_null=True,
        help_text="Omit to reindex every property you administer.",
    )
    force = serializers.BooleanField(default=False, help_text="Recompute every vector, not only missing ones.")


class RagUpdateResultSerializer(serializers.Serializer):
    property_ids = serializers.ListField(child=serializers.UUIDField())
    company_ids = serializers.ListField(child=serializers.UUIDField(), help_text="Companies whose shared FAQs too.")
    queued = serializers.BooleanField()


class RagStatusSerializer(serializers.Serializer):
    property_id = serializers.UUIDField()
    property_name = serializers.CharField()
    answered_faqs = serializers.IntegerField(help_text="The FAQs this property's bot answers from.")
    shared_faqs = serializers.IntegerField(help_text="Of which shared by the whole company.")
    indexed_faqs = serializers.IntegerField(help_text="Of which have a stored vector of the current model.")
    open_questions = serializers.IntegerField(help_text="Pending or in-review questions of the property.")
    last_indexed_at = serializers.DateTimeField(allow_null=True)
    embedding_model = serializers.CharField()


class QuestionRoutingSerializer(serializers.ModelSerializer):
    property_id = serializers.UUIDField(read_only=True)
    manager_id = TenantRelatedField(
        source="manager",
        queryset=PropertyManager.objects.all(),
        allow_null=True,
        required=False,
        help_text="The chosen manager, for the 'fixed' mode.",
    )
    last_assigned_id = serializers.UUIDField(read_only=True, allow_null=True)
    mode = serializers.ChoiceField(RoutingMode.choices)

    class Meta:
        model = QuestionRouting
        fields = ["property_id", "mode", "manager_id", "last_assigned_id", "updated_at"]
        read_only_fields = ["updated_at"]


class TaskSerializer(serializers.ModelSerializer):
    """TaskAPI, plus the question it belongs to."""

    property_id = serializers.UUIDField(read_only=True)
    conversation_id = serializers.UUIDField(read_only=True, allow_null=True)
    assigned_to = serializers.UUIDField(source="assigned_to_id", read_only=True, allow_null=True)
    faq_id = serializers.UUIDField(read_only=True, allow_null=True)

    class Meta:
        model = Task
        fields = [
            "id",
            "property_id",
            "conversation_id",
            "assigned_to",
            "faq_id",
            "question",
            "answer",
            "status",
            "completed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class TaskCreateSerializer(serializers.Serializer):
    property_id = TenantRelatedField(source="property", queryset=Property.objects.all())
    conversation_id = TenantRelatedField(
        source="conversation", queryset=Conversation.objects.all(), required=False, allow_null=True
    )
    assigned_to = TenantRelatedField(queryset=PropertyManager.objects.all(), required=False, allow_null=True)
    question = serializers.CharField(max_length=1000)


class TaskUpdateSerializer(serializers.Serializer):
    conversation_id = TenantRelatedField(
        source="conversation", queryset=Conversation.objects.all(), required=False, allow_null=True
    )
    question = serializers.CharField(max_length=1000)


class TaskStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(TaskStatus.choices)


class TaskAnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(max_length=5000)
