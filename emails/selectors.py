"""Reads of the emails app: lists as the API shows them, a campaign's audience, tours for
placeholders, and the emails that are due."""

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from conversations.models import Conversation
from emails.models import EmailCampaign, EmailDraft, EmailStatus, EmailTemplate, EmailUnsubscribe
from tours.models import LIVE_STATUSES, Tour

DUE_BATCH = 500


def email_draft_queryset() -> QuerySet:
    return EmailDraft.objects.select_related("lead", "conversation").order_by("-created_at", "id")


def email_draft_list_filter(queryset: QuerySet, *, params: dict) -> QuerySet:
    params = dict(params)
    if "tag" in params:
        # JSON containment is PostgreSQL-only, so tags are matched in their JSON text on both databases.
        queryset = queryset.filter(tags__icontains=f'"{params.pop("tag")}"')
    lookups = {
        "status": "status",
        "priority": "priority",
        "lead_id": "lead_id",
        "conversation_id": "conversation_id",
        "campaign_id": "campaign_id",
        "property_id": "conversation__property_id",
    }
    return queryset.filter(**{lookups[name]: value for name, value in params.items()})


def email_campaign_queryset() -> QuerySet:
    return EmailCampaign.objects.annotate(
        sent_count=Count("emails", filter=Q(emails__status=EmailStatus.SENT))
    ).order_by("-created_at", "id")


def email_template_queryset() -> QuerySet:
    return EmailTemplate.objects.order_by("name", "id")


def email_template_list_filter(queryset: QuerySet, *, params: dict) -> QuerySet:
    if "property_id" in params:
        # A property's templates are its own and the company-wide ones it may use.
        queryset = queryset.filter(Q(property_id=params["property_id"]) | Q(property__isnull=True))
    if params.get("scope") == "company":
        queryset = queryset.filter(property__isnull=True)
    elif params.get("scope") == "property":
        queryset = queryset.filter(property__isnull=False)
    if "trigger" in params:
        queryset = queryset.filter(trigger=params["trigger"])
    return queryset


def triggered_template(*, property, trigger: str) -> EmailTemplate | None:
    """The property's own template for the trigger, else the company-wide one."""
    candidates = EmailTemplate.objects.filter(company_id=property.company_id, trigger=trigger).filter(
        Q(property=property) | Q(property__isnull=True)
    )
    return min(candidates, key=lambda template: template.property_id is None, default=None)


def is_unsubscribed(*, company_id, email: str) -> bool:
    return EmailUnsubscribe.objects.filter(company_id=company_id, email=email.strip().lower()).exists()


def unsubscribed_addresses(*, company_id) -> set[str]:
    return set(EmailUnsubscribe.objects.filter(company_id=company_id).values_list("email", flat=True))


def campaign_audience(*, property, filters: dict) -> list[Conversation]:
    """One conversation per email address among the property's reachable leads that match the
    filters (the latest matching conversation, with its prospect loaded)."""
    conversations = Conversation.objects.filter(property=property, prospect__isnull=False).exclude(prospect__email="")
    if filters.get("lead_ids"):
        conversations = conversations.filter(prospect_id__in=filters["lead_ids"])
    if filters.get("conversation_status"):
        conversations = conversations.filter(status__in=filters["conversation_status"])
    for flag in ("is_qualified", "pre_qualified", "is_book_tour"):
        if filters.get(flag) is not None:
            conversations = conversations.filter(**{flag: filters[flag]})
    if filters.get("min_lead_score") is not None:
        conversations = conversations.filter(lead_score__gte=filters["min_lead_score"])
    if filters.get("started_after"):
        conversations = conversations.filter(start_time__gte=filters["started_after"])
    if filters.get("started_before"):
        conversations = conversations.filter(start_time__lt=filters["started_before"])
    chosen: dict[str, Conversation] = {}
    for conversation in conversations.select_related("prospect").order_by("-start_time", "-id"):
        chosen.setdefault(conversation.prospect.email.strip().lower(), conversation)
    return list(chosen.values())


def next_tours(*, property, prospect_ids=None) -> dict:
    """Each lead's next live tour at the property, by prospect id."""
    tours = Tour.objects.filter(
        property=property,
        status__in=LIVE_STATUSES,
        tour_datetime__gte=timezone.now(),
        conversation__prospect__isnull=False,
    )
    if prospect_ids is not None:
        tours = tours.filter(conversation__prospect_id__in=list(prospect_ids))
    found: dict = {}
    for prospect_id, tour in (
        (tour.conversation.prospect_id, tour) for tour in tours.select_related("conversation").order_by("tour_datetime")
    ):
        found.setdefault(prospect_id, tour)
    return found


def due_email_ids(*, limit: int | None = DUE_BATCH, campaign_id=None) -> list:
    now = timezone.now()
    due = EmailDraft.objects.filter(status=EmailStatus.SCHEDULED, scheduled_for__lte=now).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )
    if campaign_id is not None:
        due = due.filter(campaign_id=campaign_id)
    ids = due.order_by("scheduled_for", "id").values_list("pk", flat=True)
    return list(ids if limit is None else ids[:limit])
