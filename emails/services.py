"""Writes of the emails app: templates, drafts and their status, sending, campaigns, test sends,
unsubscribes, and drafts made by triggers.

Status of an email (a checked state machine):

    draft ──schedule / send──> scheduled ──(the send succeeds)──> sent
      ^                          │    ^
      └────── back to draft ─────┘    └── schedule / send ── failed <──(the send fails for good)

"Send now" is scheduling for now and queueing the send at once. Only sending moves an email on to
sent or failed; a sent email can no longer be changed, rescheduled or deleted.
"""

import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from companies.models import Company
from conversations.models import Conversation
from core.errors import DomainError, DuplicateRecord, ErrorCode, InvalidStatusTransition, ValidationFailed
from emails import rendering, selectors
from emails.clients import Address, Mail
from emails.models import (
    DeliveryStatus,
    EmailCampaign,
    EmailDelivery,
    EmailDraft,
    EmailPriority,
    EmailStatus,
    EmailTemplate,
    EmailUnsubscribe,
    TemplateTrigger,
)
from emails.sending import PermanentFailure, SendFailed, TransientFailure, UnknownOutcome, provider_for, transmit
from tours.models import Tour

logger = logging.getLogger(__name__)

# Longer than a send task may run (its hard time limit): a claim this old was left by a dead worker.
CLAIM_FOR = timedelta(minutes=5)
UNSUBSCRIBE_SALT = "emails.unsubscribe"
UNSET = object()
# Clocks differ a little between a browser and us; "now" from a form is not "in the past".
PAST_TOLERANCE = timedelta(minutes=1)

# The moves staff may ask for. Only sending moves an email from scheduled to sent or failed.
STAFF_MOVES = {
    EmailStatus.DRAFT: {EmailStatus.DRAFT, EmailStatus.SCHEDULED},
    EmailStatus.SCHEDULED: {EmailStatus.DRAFT, EmailStatus.SCHEDULED},
    EmailStatus.FAILED: {EmailStatus.FAILED, EmailStatus.DRAFT, EmailStatus.SCHEDULED},
    EmailStatus.SENT: set(),
}


class EmailAlreadySent(InvalidStatusTransition):
    def __init__(self, requested: str):
        # InvalidStatusTransition's own message ("from sent to sent") would not say why.
        DomainError.__init__(
            self,
            "This email was sent; it can no longer be changed, scheduled, sent again or deleted.",
            details={"current": EmailStatus.SENT, "requested": requested, "allowed": []},
        )


class EmailBeingSent(DomainError):
    status = 409
    code = ErrorCode.INVALID_STATUS_TRANSITION
    message = "This email is being sent right now; try again in a moment."


# --- templates ----------------------------------------------------------------------------------
def email_template_create(*, company: Company, property=None, **fields) -> EmailTemplate:
    if property is not None and property.company_id != company.pk:
        raise ValidationFailed("The property belongs to another company.", details={"property_id": [str(property.pk)]})
    template = EmailTemplate(company=company, property=property, **fields)
    _save_template(template)
    return template


def email_template_update(*, template: EmailTemplate, **fields) -> EmailTemplate:
    for name, value in fields.items():
        setattr(template, name, value)
    _save_template(template)
    return template


def _save_template(template: EmailTemplate) -> None:
    if template.trigger:
        others = EmailTemplate.objects.filter(
            company_id=template.company_id, property=template.property, trigger=template.trigger
        ).exclude(pk=template.pk)
        if others.exists():
            raise DuplicateRecord(
                f"Another template of this {'property' if template.property_id else 'company'} already has "
                f"the trigger '{template.trigger}'.",
                details={"trigger": [template.trigger]},
            )
    try:
        with transaction.atomic():
            template.save()
    except IntegrityError as exc:  # the same trigger saved by another request meanwhile
        raise DuplicateRecord("Another template already has this trigger.") from exc


def email_template_delete(*, template: EmailTemplate) -> None:
    template.delete()


# --- what placeholders become ---------------------------------------------------------------------
def _values(*, lead, property_, tour: Tour | None = None) -> dict[str, str]:
    values = {**rendering.lead_values(lead), **rendering.property_values(property_, property_.company)}
    if tour is not None:
        values.update(
            rendering.tour_values(
                start=tour.tour_datetime, tour_type_label=tour.get_tour_type_display(), time_zone=property_.time_zone
            )
        )
    if lead.email:
        values["unsubscribe_url"] = unsubscribe_url(company_id=property_.company_id, email=lead.email)
    return values


def _render(subject: str, content: str, values: dict) -> tuple[str, str]:
    # A value with a line break must not reach a mail header.
    return " ".join(rendering.render(subject, values).split())[:255], rendering.render(content, values)


def _next_tour(*, lead, property_, texts) -> Tour | None:
    if not any(rendering.placeholders_in(text) & rendering.TOUR_PLACEHOLDERS for text in texts):
        return None
    return selectors.next_tours(property=property_, prospect_ids=[lead.pk]).get(lead.pk)


# --- drafts -----------------------------------------------------------------------------------------
def email_draft_create(
    *,
    lead,
    conversation: Conversation,
    created_by_id=None,
    template: EmailTemplate | None = None,
    subject: str = "",
    content: str = "",
    priority: str = EmailPriority.MEDIUM,
    tags: list | None = None,
    status: str = EmailStatus.DRAFT,
    scheduled_for: datetime | None = None,
) -> EmailDraft:
    """A follow-up to one lead, written by hand or rendered from a template for that lead."""
    if conversation.prospect_id != lead.pk:
        raise ValidationFailed(
            "The conversation is not this lead's.", details={"conversation_id": ["Not a conversation of the lead."]}
        )
    property_ = conversation.property
    if template is not None:
        if template.property_id not in (None, property_.pk) or template.company_id != property_.company_id:
            raise ValidationFailed(
                "The template belongs to another property.", details={"template_id": [str(template.pk)]}
            )
        tour = _next_tour(lead=lead, property_=property_, texts=(template.subject, template.content))
        try:
            rendered_subject, rendered_content = _render(
                template.subject, template.content, _values(lead=lead, property_=property_, tour=tour)
            )
        except rendering.MissingValues as exc:
            raise ValidationFailed(
                f"The template needs what this lead does not have yet: {', '.join(exc.names)}.",
                details={"template_id": [f"No value for: {', '.join(exc.names)}."]},
            ) from exc
        subject, content = subject or rendered_subject, content or rendered_content
    given = {"subject": subject, "content": content}
    missing = {name: ["This field is required."] for name, value in given.items() if not value}
    if missing:
        raise ValidationFailed("Give a subject and content, or a template.", details=missing)
    draft = EmailDraft(
        lead=lead,
        conversation=conversation,
        template=template,
        created_by_id=created_by_id,
        subject=subject,
        content=content,
        priority=priority,
        tags=list(tags or []),
    )
    _apply_status(draft, status, scheduled_for)
    draft.save()
    return draft


def email_draft_update(*, draft: EmailDraft, **fields) -> EmailDraft:
    status = fields.pop("status", None)
    scheduled_for = fields.pop("scheduled_for", UNSET)
    with transaction.atomic():
        draft = _lock(draft, requested=status or "update")
        for name, value in fields.items():
            setattr(draft, name, value)
        if status is None and scheduled_for not in (UNSET, None):
            # A new time for an email that is not scheduled would silently do nothing.
            status = EmailStatus.SCHEDULED if draft.status == EmailStatus.SCHEDULED else None
            if status is None:
                raise ValidationFailed(
                    "Only a scheduled email has a time: set status 'scheduled' too, or POST /api/email/schedule/:id.",
                    details={"scheduled_for": ["Set status 'scheduled' to schedule."]},
                )
        if status is not None:
            # A scheduled email keeps its time unless a new one is given.
            _apply_status(draft, status, draft.scheduled_for if scheduled_for is UNSET else scheduled_for)
        draft.save()
    return draft


def email_draft_delete(*, draft: EmailDraft) -> None:
    with transaction.atomic():
        _lock(draft, requested="delete").delete()


def email_send_now(*, draft: EmailDraft) -> EmailDraft:
    """Schedules the email for now and queues its send after commit."""
    with transaction.atomic():
        draft = _lock(draft, requested=EmailStatus.SENT)
        _apply_status(draft, EmailStatus.SCHEDULED, timezone.now())
        draft.save()
        _queue_send(draft.pk)
    return draft


def email_schedule(*, draft: EmailDraft, scheduled_for: datetime) -> EmailDraft:
    """The beat sweep sends it when it is due."""
    with transaction.atomic():
        draft = _lock(draft, requested=EmailStatus.SCHEDULED)
        _apply_status(draft, EmailStatus.SCHEDULED, scheduled_for)
        draft.save()
    return draft


def _lock(draft: EmailDraft, *, requested: str) -> EmailDraft:
    """The row, locked against the sender's claim; refused when sent or being sent."""
    draft = EmailDraft.objects.select_for_update(of=("self",)).select_related("lead").get(pk=draft.pk)
    if draft.status == EmailStatus.SENT:
        raise EmailAlreadySent(requested)
    if draft.claimed_until is not None and draft.claimed_until > timezone.now():
        raise EmailBeingSent()
    return draft


def _apply_status(draft: EmailDraft, target: str, scheduled_for: datetime | None) -> None:
    allowed = STAFF_MOVES[draft.status]
    if target not in allowed:
        raise InvalidStatusTransition(draft.status, target, allowed)
    if target == EmailStatus.SCHEDULED:
        if not draft.lead.email:
            raise ValidationFailed(
                "This lead has no email address, so the email cannot be sent.",
                details={"lead_id": ["The lead has no email address."]},
            )
        if scheduled_for is None:
            raise ValidationFailed("Say when to send it.", details={"scheduled_for": ["This field is required."]})
        moved = draft.status != EmailStatus.SCHEDULED or scheduled_for != draft.scheduled_for
        if moved and scheduled_for < timezone.now() - PAST_TOLERANCE:
            raise ValidationFailed(
                "The time has passed: choose a later one, or send it now.",
                details={"scheduled_for": ["Must be in the future."]},
            )
        draft.scheduled_for = scheduled_for
        draft.failure_reason = ""
        draft.attempts = 0
    elif target == EmailStatus.DRAFT:
        draft.scheduled_for = None
        draft.failure_reason = ""
    draft.status = target


def _queue_send(draft_id) -> None:
    from emails import tasks

    transaction.on_commit(lambda: tasks.send_email.delay(str(draft_id)))


# --- delivery ---------------------------------------------------------------------------------------
def email_deliver(*, draft_id) -> dict:
    """Sends one due email, once: claims the row, records the attempt, calls the provider, records
    the outcome. A transient failure puts the email back in line with backoff until
    EMAIL_SEND_MAX_ATTEMPTS; anything else that fails leaves it `failed` with the reason."""
    now = timezone.now()
    claimed = (
        EmailDraft.objects.filter(pk=draft_id, status=EmailStatus.SCHEDULED, scheduled_for__lte=now)
        .exclude(claimed_until__gt=now)
        .update(claimed_until=now + CLAIM_FOR, attempts=F("attempts") + 1, updated_at=now)
    )
    if not claimed:
        return {"outcome": "skipped"}
    draft = EmailDraft.objects.select_related(
        "lead", "conversation__property__company", "created_by__user", "campaign"
    ).get(pk=draft_id)
    last = draft.deliveries.order_by("-attempt").first()
    if last is not None and last.status == DeliveryStatus.SENDING:
        _finish(last, DeliveryStatus.UNKNOWN, error="The worker sending it stopped before the outcome was recorded.")
        return _fail(
            draft,
            "An earlier attempt was interrupted and may have reached the lead; check before sending it again.",
        )
    company = draft.conversation.property.company
    reason = _why_not(draft, company)
    if reason:
        return _fail(draft, reason)
    attempt = (last.attempt if last else 0) + 1
    delivery = EmailDelivery.objects.create(
        company=company, draft=draft, attempt=attempt, provider=provider_for(company), recipient=draft.lead.email
    )
    try:
        message_id = transmit(company=company, mail=_compose(draft))
    except TransientFailure as exc:
        _finish(delivery, DeliveryStatus.FAILED, error=exc.message)
        if draft.attempts >= settings.EMAIL_SEND_MAX_ATTEMPTS:
            return _fail(draft, f"Gave up after {draft.attempts} attempts: {exc.message}")
        wait = max(backoff_seconds(draft.attempts), exc.retry_after or 0)
        EmailDraft.objects.filter(pk=draft.pk).update(
            scheduled_for=now + timedelta(seconds=wait),
            claimed_until=None,
            failure_reason=f"Attempt {draft.attempts} failed, retrying: {exc.message}"[:500],
            updated_at=timezone.now(),
        )
        return {"outcome": "retry", "retry_in": wait, "attempt": attempt, "error": exc.message}
    except PermanentFailure as exc:
        _finish(delivery, DeliveryStatus.FAILED, error=exc.message)
        return _fail(draft, exc.message)
    except UnknownOutcome as exc:
        _finish(delivery, DeliveryStatus.UNKNOWN, error=exc.message)
        return _fail(draft, f"{exc.message} Check before sending it again.")
    with transaction.atomic():
        _finish(delivery, DeliveryStatus.SENT, message_id=message_id or "")
        EmailDraft.objects.filter(pk=draft.pk).update(
            status=EmailStatus.SENT, sent_at=timezone.now(), claimed_until=None, failure_reason="", updated_at=now
        )
    return {"outcome": "sent", "attempt": attempt, "provider_message_id": message_id}


def backoff_seconds(attempt: int) -> float:
    base = settings.EMAIL_RETRY_BASE_SECONDS * 2 ** max(attempt - 1, 0)
    # Up to 20% jitter spreads the retries of a burst that failed together.
    return min(base * (1 + random.random() * 0.2), settings.EMAIL_RETRY_MAX_SECONDS)  # noqa: S311


def _why_not(draft: EmailDraft, company) -> str:
    if not draft.lead.email:
        return "The lead has no email address."
    if draft.is_marketing and selectors.is_unsubscribed(company_id=company.pk, email=draft.lead.email):
        return "The lead unsubscribed from marketing emails."
    return ""


def _fail(draft: EmailDraft, reason: str) -> dict:
    EmailDraft.objects.filter(pk=draft.pk).update(
        status=EmailStatus.FAILED, claimed_until=None, failure_reason=reason[:500], updated_at=timezone.now()
    )
    return {"outcome": "failed", "error": reason}


def _finish(delivery: EmailDelivery, status: str, *, error: str = "", message_id: str = "") -> None:
    delivery.status = status
    delivery.error = error[:1000]
    delivery.provider_message_id = message_id[:255]
    delivery.finished_at = timezone.now()
    delivery.save(update_fields=["status", "error", "provider_message_id", "finished_at", "updated_at"])


def _sender(name: str) -> Address:
    return Address(parseaddr(settings.DEFAULT_FROM_EMAIL)[1], name)


def _compose(draft: EmailDraft) -> Mail:
    property_ = draft.conversation.property
    lead = draft.lead
    text, footer_html, headers = draft.content, "", {}
    if draft.is_marketing:
        url = unsubscribe_url(company_id=property_.company_id, email=lead.email)
        note = f"You receive this because you asked {property_.name} about a home."
        text = f"{text.rstrip()}\n\n--\n{note}\nUnsubscribe: {url}"
        footer_html = rendering.footer_html(note, url)
        # RFC 8058: mail clients show an unsubscribe button that POSTs to this URL.
        one_click = unsubscribe_one_click_url(company_id=property_.company_id, email=lead.email)
        headers = {"List-Unsubscribe": f"<{one_click}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    reply_to = draft.created_by.user.email if draft.created_by_id else property_.company.contact_email
    return Mail(
        to=Address(lead.email, f"{lead.first_name} {lead.last_name}".strip()),
        sender=_sender(property_.name),
        reply_to=Address(reply_to) if reply_to else None,
        subject=draft.subject,
        text=text,
        html=rendering.text_to_html(draft.content, footer_html=footer_html),
        headers=headers,
        custom_args={"email_id": str(draft.pk)},
        categories=["campaign" if draft.is_marketing else "follow_up"],
    )


# --- test sends ---------------------------------------------------------------------------------------
@dataclass
class SendTestResult:
    sent: bool
    provider: str
    recipient: str
    subject: str
    message: str
    provider_message_id: str | None
    latency_ms: float


def email_send_test(
    *, user, company: Company, sender_name: str, subject: str, content: str, label: str = "[Test]"
) -> SendTestResult:
    """Sends a message to the staff member themselves, now, and records it as a test delivery."""
    if not user.email:
        raise ValidationFailed("Your account has no email address to send the test to.")
    subject = f"{label} {subject}".strip()
    mail = Mail(
        to=Address(user.email, user.get_full_name()),
        sender=_sender(sender_name),
        subject=subject,
        text=content,
        html=rendering.text_to_html(content),
        custom_args={"test": "true"},
        categories=["test"],
    )
    provider = provider_for(company)
    delivery = EmailDelivery.objects.create(company=company, is_test=True, provider=provider, recipient=user.email)
    started = time.perf_counter()
    try:
        message_id = transmit(company=company, mail=mail)
    except SendFailed as exc:
        status = DeliveryStatus.UNKNOWN if isinstance(exc, UnknownOutcome) else DeliveryStatus.FAILED
        _finish(delivery, status, error=exc.message)
        sent, message, message_id = False, exc.message, None
    else:
        _finish(delivery, DeliveryStatus.SENT, message_id=message_id or "")
        sent, message = True, f"Handed to {delivery.get_provider_display()} for {user.email}."
    return SendTestResult(
        sent=sent,
        provider=provider,
        recipient=user.email,
        subject=subject,
        message=message,
        provider_message_id=message_id,
        latency_ms=round((time.perf_counter() - started) * 1000, 1),
    )


def email_send_test_of_draft(*, user, draft: EmailDraft) -> SendTestResult:
    property_ = draft.conversation.property
    return email_send_test(
        user=user, company=property_.company, sender_name=property_.name, subject=draft.subject, content=draft.content
    )


def email_send_test_of_template(
    *, user, template: EmailTemplate, conversation: Conversation | None = None
) -> SendTestResult:
    """The template rendered for a lead (their conversation's), or with sample values; what the
    lead does not have yet (a tour) shows as its sample."""
    property_ = conversation.property if conversation is not None else template.property
    values = rendering.sample_values()
    if conversation is not None and conversation.prospect is not None:
        lead = conversation.prospect
        tour = _next_tour(lead=lead, property_=property_, texts=(template.subject, template.content))
        real = _values(lead=lead, property_=property_, tour=tour)
        values.update({name: value for name, value in real.items() if value})
    elif property_ is not None:
        values.update(rendering.property_values(property_, template.company))
    subject, content = _render(template.subject, template.content, values)
    return email_send_test(
        user=user,
        company=template.company,
        sender_name=property_.name if property_ is not None else template.company.name,
        subject=subject,
        content=content,
    )


def email_sending_test(*, user, company: Company) -> SendTestResult:
    """POST /api/test/email-sending: the company's whole sending path, end to end, to the caller."""
    return email_send_test(
        user=user,
        company=company,
        sender_name=company.name,
        subject="Email sending test",
        content=(
            f"This message tests email sending for {company.name}.\n\n"
            "If you can read it, leads will receive the follow-ups and campaigns you send."
        ),
        label="",
    )


# --- campaigns ------------------------------------------------------------------------------------
def email_campaign_create(*, property, created_by_id=None, **fields) -> EmailCampaign:
    return EmailCampaign.objects.create(property=property, created_by_id=created_by_id, **fields)


def email_campaign_update(*, campaign: EmailCampaign, **fields) -> EmailCampaign:
    """Emails already created for leads keep their text; leads reached from now on get the new one."""
    for name, value in fields.items():
        setattr(campaign, name, value)
    campaign.save()
    return campaign


@transaction.atomic
def email_campaign_delete(*, campaign: EmailCampaign) -> None:
    """Unsent copies go (none is being sent right now); sent ones stay, as the record of who got it."""
    now = timezone.now()
    campaign.emails.exclude(status=EmailStatus.SENT).exclude(claimed_until__gt=now).delete()
    campaign.deleted_at = now
    campaign.save(update_fields=["deleted_at", "updated_at"])


@transaction.atomic
def email_campaign_send(
    *, campaign: EmailCampaign, filters: dict, scheduled_for: datetime | None = None, dry_run: bool = False
) -> dict:
    """One email per matching lead (per address) that has not had this campaign, has not
    unsubscribed, and has a value for every placeholder; sent at `scheduled_for` (now by default)."""
    campaign = EmailCampaign.objects.select_for_update().select_related("property__company").get(pk=campaign.pk)
    property_ = campaign.property
    audience = selectors.campaign_audience(property=property_, filters=filters)
    unsubscribed = selectors.unsubscribed_addresses(company_id=property_.company_id)
    received = set(campaign.emails.values_list("dedupe_key", flat=True))
    texts = (campaign.subject_template, campaign.template_content)
    needs_tour = any(rendering.placeholders_in(text) & rendering.TOUR_PLACEHOLDERS for text in texts)
    tours = selectors.next_tours(property=property_) if needs_tour else {}
    when = scheduled_for or timezone.now()
    counts = {"matched": len(audience), "already_received": 0, "unsubscribed": 0, "missing_values": 0}
    emails = []
    for conversation in audience:
        lead = conversation.prospect
        address = lead.email.strip().lower()
        key = f"campaign:{campaign.pk}:{address}"
        if key in received:
            counts["already_received"] += 1
            continue
        if address in unsubscribed:
            counts["unsubscribed"] += 1
            continue
        values = _values(lead=lead, property_=property_, tour=tours.get(lead.pk))
        try:
            subject, content = _render(*texts, values)
        except rendering.MissingValues:
            counts["missing_values"] += 1
            continue
        emails.append(
            EmailDraft(
                lead=lead,
                conversation=conversation,
                campaign=campaign,
                created_by_id=campaign.created_by_id,
                subject=subject,
                content=content,
                status=EmailStatus.SCHEDULED,
                priority=EmailPriority.LOW,
                tags=["campaign"],
                scheduled_for=when,
                dedupe_key=key,
            )
        )
    if not dry_run and emails:
        EmailDraft.objects.bulk_create(emails, batch_size=500)
        campaign.last_sent_at = timezone.now()
        campaign.save(update_fields=["last_sent_at", "updated_at"])
        if when <= timezone.now():
            from emails import tasks

            campaign_id = str(campaign.pk)
            transaction.on_commit(lambda: tasks.dispatch_campaign.delay(campaign_id))
    return {**counts, "created": len(emails), "scheduled_for": when, "dry_run": dry_run}


# --- unsubscribes -------------------------------------------------------------------------------------
def unsubscribe_token(*, company_id, email: str) -> str:
    return signing.dumps({"c": str(company_id), "e": email.strip().lower()}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_url(*, company_id, email: str) -> str:
    """The page the lead opens (the front end's, which calls the API route)."""
    return settings.EMAIL_UNSUBSCRIBE_URL.format(token=unsubscribe_token(company_id=company_id, email=email))


def unsubscribe_one_click_url(*, company_id, email: str) -> str:
    """The API route itself, for the List-Unsubscribe header that mail clients POST to."""
    token = unsubscribe_token(company_id=company_id, email=email)
    return f"{settings.PUBLIC_BASE_URL}/api/email/unsubscribe/{token}"


def unsubscribe_read(*, token: str) -> tuple[Company, str]:
    """The company and address a link was made for; ValidationFailed for a link we did not sign."""
    try:
        payload = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        company = Company.all_objects.get(pk=payload["c"])
        email = str(payload["e"])
    except (signing.BadSignature, KeyError, TypeError, ValueError, Company.DoesNotExist) as exc:
        raise ValidationFailed("This unsubscribe link is not valid.") from exc
    return company, email


def email_unsubscribe(*, company: Company, email: str, source: str) -> EmailUnsubscribe:
    """Idempotent: a second click (or the mail client's one-click POST after the link) changes nothing."""
    email = email.strip().lower()
    try:
        with transaction.atomic():
            unsubscribe, _ = EmailUnsubscribe.objects.get_or_create(
                company=company, email=email, defaults={"source": source}
            )
    except IntegrityError:
        unsubscribe = EmailUnsubscribe.objects.get(company=company, email=email)
    return unsubscribe


# --- triggers -------------------------------------------------------------------------------------------
def email_draft_for_trigger(*, trigger: str, conversation_id, tour_id=None) -> EmailDraft | None:
    """A follow-up drafted from the property's (or company's) template for this trigger, for a
    manager to review and send; once per event. None when there is no such template, no lead, or
    the template needs a value the lead does not have."""
    conversation = (
        Conversation.objects.select_related("property__company", "prospect").filter(pk=conversation_id).first()
    )
    if conversation is None or conversation.prospect is None:
        return None
    template = selectors.triggered_template(property=conversation.property, trigger=trigger)
    if template is None:
        return None
    lead, property_ = conversation.prospect, conversation.property
    tour = Tour.objects.filter(pk=tour_id, property=property_).first() if tour_id else None
    key = f"{trigger}:{tour_id or conversation_id}"
    try:
        values = _values(lead=lead, property_=property_, tour=tour)
        subject, content = _render(template.subject, template.content, values)
    except rendering.MissingValues as exc:
        logger.info("No %s draft for conversation %s: %s", trigger, conversation_id, exc)
        return None
    high = trigger == TemplateTrigger.TOUR_BOOKED
    try:
        with transaction.atomic():
            return EmailDraft.objects.create(
                lead=lead,
                conversation=conversation,
                template=template,
                subject=subject,
                content=content,
                priority=EmailPriority.HIGH if high else EmailPriority.MEDIUM,
                tags=[trigger],
                dedupe_key=key,
            )
    except IntegrityError:
        return EmailDraft.objects.filter(dedupe_key=key).first()
