import builtins

from django.db import models
from django.db.models import Q

from core.models import TimeStampedModel


class FaqStatus(models.TextChoices):
    PENDING = "pending"
    ANSWERED = "answered"
    NEEDS_REVIEW = "needs_review"


class FaqSource(models.TextChoices):
    MANUAL = "manual", "Written by staff"
    CHAT = "chat", "Asked in a chat"


OPEN_FAQ_STATUSES = (FaqStatus.PENDING, FaqStatus.NEEDS_REVIEW)


class Faq(TimeStampedModel):
    """A question and its answer. Answered FAQs are the knowledge the bot answers from.

    Scoped to one property, or (property empty) shared by all the company's properties. A question
    the bot could not answer arrives here as `pending`, linked to the conversations that asked it.
    """

    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="faqs")
    property = models.ForeignKey(
        "properties.Property",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="faqs",
        help_text="Empty: shared by all the company's properties.",
    )
    question = models.TextField(max_length=1000)
    answer = models.TextField(max_length=5000, blank=True)
    category = models.CharField(max_length=64, blank=True)
    source_type = models.CharField(max_length=16, choices=FaqSource.choices, default=FaqSource.MANUAL)
    status = models.CharField(max_length=16, choices=FaqStatus.choices, default=FaqStatus.PENDING)
    assigned_to = models.ForeignKey(
        "properties.PropertyManager", on_delete=models.SET_NULL, null=True, blank=True, related_name="assigned_faqs"
    )
    answered_by = models.ForeignKey(
        "properties.PropertyManager", on_delete=models.SET_NULL, null=True, blank=True, related_name="answered_faqs"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(max_length=2000, blank=True)
    ask_count = models.PositiveIntegerField(default=0, help_text="How many times prospects asked this.")

    # Retrieval: the (question + answer) vector and, for an answer of several sentences, one
    # (question + sentence) vector per sentence rank answered FAQs (`faqs.ranking.faq_passages`);
    # the question's own vector finds near-duplicate open questions. All are recomputed whenever the
    # texts change. `passage_embeddings` is empty for a one-sentence answer, null when not computed.
    embedding = models.BinaryField(null=True, blank=True, editable=False)
    passage_embeddings = models.BinaryField(null=True, blank=True, editable=False)
    question_embedding = models.BinaryField(null=True, blank=True, editable=False)
    embedding_model = models.CharField(max_length=64, blank=True, editable=False)
    indexed_at = models.DateTimeField(null=True, blank=True, editable=False)

    tenant_company_path = "company"
    tenant_property_path = "property"

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = "FAQ"
        indexes = [
            models.Index(fields=["company", "status", "property"]),
            models.Index(fields=["property", "status", "created_at"]),
            models.Index(fields=["assigned_to", "status"]),
        ]

    def __str__(self):
        return self.question[:80]

    @classmethod
    def tenant_limit_to_properties(cls, queryset, property_ids):
        """A manager sees the FAQs of their properties and those shared by the whole company."""
        return queryset.filter(Q(property_id__in=property_ids) | Q(property__isnull=True))

    @builtins.property  # the `property` field shadows the builtin in this class body
    def scope(self) -> str:
        return "company" if self.property_id is None else "property"


class FaqConversation(TimeStampedModel):
    """A conversation that asked a pending question and waits for its answer."""

    faq = models.ForeignKey(Faq, on_delete=models.CASCADE, related_name="conversation_links")
    conversation = models.ForeignKey("conversations.Conversation", on_delete=models.CASCADE, related_name="faq_links")
    asked_as = models.TextField(max_length=1000, help_text="The prospect's words.")
    answer_sent_at = models.DateTimeField(null=True, blank=True)

    tenant_company_path = "faq__company"
    tenant_property_path = "conversation__property"

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["faq", "conversation"], name="one_link_per_faq_conversation")]

    def __str__(self):
        return f"{self.conversation_id} asked {self.faq_id}"


class FaqPhrasing(TimeStampedModel):
    """A prospect's own wording of an FAQ's question, learned when it was asked.

    Kept for the question that opened a pending FAQ and for each near-duplicate that joined it;
    once the FAQ is answered, the bot answers a question that repeats one of its phrasings closely.
    Managers remove a wording that does not belong to the question.
    """

    faq = models.ForeignKey(Faq, on_delete=models.CASCADE, related_name="phrasings")
    text = models.TextField(max_length=1000)
    normalized = models.TextField(max_length=1000, editable=False, help_text="The wording without case or punctuation.")
    conversation = models.ForeignKey(
        "conversations.Conversation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The conversation it was asked in.",
    )
    # The vector of the alias-expanded wording, as the question's own is computed at retrieval.
    embedding = models.BinaryField(null=True, blank=True, editable=False)
    embedding_model = models.CharField(max_length=64, blank=True, editable=False)

    tenant_company_path = "faq__company"
    tenant_property_path = "faq__property"

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["faq", "normalized"], name="one_phrasing_per_wording")]

    def __str__(self):
        return self.text[:80]

    @classmethod
    def tenant_limit_to_properties(cls, queryset, property_ids):
        return queryset.filter(Q(faq__property_id__in=property_ids) | Q(faq__property__isnull=True))


class TaskStatus(models.TextChoices):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


OPEN_TASK_STATUSES = (TaskStatus.PENDING, TaskStatus.IN_PROGRESS)


class Task(TimeStampedModel):
    """Work for a property's staff: mostly a prospect's question to answer."""

    property = models.ForeignKey("properties.Property", on_delete=models.CASCADE, related_name="tasks")
    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks"
    )
    faq = models.ForeignKey(Faq, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks")
    assigned_to = models.ForeignKey(
        "properties.PropertyManager", on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks"
    )
    question = models.TextField(max_length=1000)
    answer = models.TextField(max_length=5000, blank=True)
    status = models.CharField(max_length=16, choices=TaskStatus.choices, default=TaskStatus.PENDING)
    completed_at = models.DateTimeField(null=True, blank=True)

    tenant_company_path = "property__company"
    tenant_property_path = "property"

    class Meta:
        ordering = ["-created_at", "id"]
        indexes = [
            models.Index(fields=["property", "status", "created_at"]),
            models.Index(fields=["assigned_to", "status"]),
        ]

    def __str__(self):
        return self.question[:80]


class RoutingMode(models.TextChoices):
    ROUND_ROBIN = "round_robin", "Round-robin over the property's managers with write access"
    FIXED = "fixed", "Always the chosen manager"
    OFF = "off", "No task: questions wait in the pending list"


class QuestionRouting(TimeStampedModel):
    """Where a property's unanswered questions go. A property without a row uses round-robin."""

    property = models.OneToOneField("properties.Property", on_delete=models.CASCADE, related_name="question_routing")
    mode = models.CharField(max_length=16, choices=RoutingMode.choices, default=RoutingMode.ROUND_ROBIN)
    manager = models.ForeignKey(
        "properties.PropertyManager",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The chosen manager, for the 'fixed' mode.",
    )
    # The round-robin cursor: the next question goes to the manager after this one.
    last_assigned = models.ForeignKey(
        "properties.PropertyManager", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    tenant_company_path = "property__company"
    tenant_property_path = "property"

    class Meta:
        ordering = ["property_id"]

    def __str__(self):
        return f"{self.property}: {self.get_mode_display()}"
