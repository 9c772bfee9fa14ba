"""ResManLeadSyncAPI: pushing leads to ResMan, pulling them back, lost/reactivated, conflicts.

A push (`lead_push`, and the outbox handlers that send tours and statuses) always goes the same way:
1. claim the guest card (`LeadLink`) so two workers never write it at once;
2. not linked yet: search ResMan by email, then by phone, and link what is found (a guest card is
   never created twice); nothing found: create it, with the mapped source and leasing agent;
3. linked: read the guest card back first and ingest it, so a change made in ResMan meanwhile
   becomes a conflict instead of being overwritten; then send our values (ResMan's for fields in
   conflict), unless ResMan already has exactly them.
"""

import hashlib
import json
import logging
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from conversations.models import Prospect
from core.errors import ConflictResolutionRequired, DuplicateRecord, InvalidStatusTransition, ValidationFailed
from properties.models import Property, PropertyManagerAssignment
from resman.client import ResManApiError, ResManWindowTooWide
from resman.mits import LeadEvent, ProspectRecord
from resman.models import (
    ConflictResolution,
    ConflictStatus,
    LeadLink,
    LeadStatus,
    OutboxItem,
    OutboxKind,
    PropertyResManSettings,
    SyncConflict,
)
from resman.services import outbox
from resman.services.common import (
    ResManNotMapped,
    agent_id_for,
    client_for,
    lost_reason_id_for,
    property_settings,
    require_configured,
    source_id_for,
    tracked,
)
from resman.services.fields import (
    TRACKED,
    apply_local,
    document_from,
    local_values,
    normalized,
    record_values,
)
from resman.services.ingestion import IngestResult, latest_conversations, prospects_ingest

logger = logging.getLogger(__name__)
FIRST_CONTACT_EVENT = "WalkIn"  # what a leasing-chat vendor uses for web and chat guest cards (notes §3.3)
CLAIM_FOR = timedelta(minutes=2)
MIN_WINDOW = timedelta(seconds=60)


# --- helpers --------------------------------------------------------------------------------------
def lead_link_for(*, property, prospect) -> LeadLink:
    try:
        with transaction.atomic():
            link, _ = LeadLink.objects.get_or_create(
                property=property, prospect=prospect, defaults={"company_id": property.company_id}
            )
    except IntegrityError:
        link = LeadLink.objects.get(property=property, prospect=prospect)
    return link


@contextmanager
def _claimed(link: LeadLink):
    now = timezone.now()
    taken = (
        LeadLink.objects.filter(pk=link.pk)
        .filter(Q(push_claimed_until__isnull=True) | Q(push_claimed_until__lt=now))
        .update(push_claimed_until=now + CLAIM_FOR)
    )
    if not taken:
        raise outbox.Busy()
    try:
        yield
    finally:
        LeadLink.objects.filter(pk=link.pk).update(push_claimed_until=None)


def _first(records):
    try:
        return next(records, None)
    finally:
        records.close()


def _fingerprint(document) -> str:
    return hashlib.sha256(json.dumps(asdict(document), sort_keys=True, default=str).encode()).hexdigest()


def _primary_manager(property):
    assignment = (
        PropertyManagerAssignment.objects.filter(property=property)
        .select_related("property_manager")
        .order_by("-is_primary", "created_at")
        .first()
    )
    return assignment.property_manager if assignment else None


def _open_conflicts(link) -> dict:
    return {conflict.field: conflict for conflict in SyncConflict.objects.filter(lead=link, status=ConflictStatus.OPEN)}


# --- the push -------------------------------------------------------------------------------------
def push_to_resman(*, property, prospect, events: list[LeadEvent] = (), force: bool = False) -> dict:
    """Creates or updates the prospect's guest card at the property (see the module docstring);
    `events` are added to it. Returns what was done and ResMan's ids."""
    require_configured(property)
    link = lead_link_for(property=property, prospect=prospect)
    client = client_for(property.company)
    with _claimed(link), tracked(property.company):
        action = "updated"
        if not link.is_linked:
            found = _find_existing(client, property, prospect)
            if found is None:
                return _create(client, property, prospect, link, events)
            _attach(link, found)
            record, action = found, "linked"
        else:
            record = _first(
                client.search_prospects(property_id=property.resman_property_id, prospect_id=link.resman_prospect_id)
            )
            if record is None:
                raise ResManApiError(
                    f"Guest card {link.resman_prospect_id} is no longer in ResMan.", method="SearchProspects"
                )
        prospects_ingest(property=property, records=[record], origin="push")
        link.refresh_from_db()
        conversation = latest_conversations(property, [prospect.pk]).get(prospect.pk)
        prospect.refresh_from_db()
        ours = local_values(prospect, conversation)
        conflicts = _open_conflicts(link)
        send = {name: (conflicts[name].their_value if name in conflicts else ours[name]) for name in TRACKED}
        if send == record_values(record) and not events and not force:
            return {"action": "unchanged" if action == "updated" else action, **_ids(link), "conflicts": len(conflicts)}
        document = document_from(
            send,
            customer_type="lost" if link.status == LeadStatus.LOST else "prospect",
            prospect_id=link.resman_prospect_id,
            person_id=link.resman_person_id,
            comment=conversation.ai_intent_summary if conversation else "",
            events=list(events),
        )
        echoed = client.post_lead(property_id=property.resman_property_id, document=document)
        LeadLink.objects.filter(pk=link.pk).update(
            synced_values=send,
            pushed_fingerprint=_fingerprint(document),
            pulled_fingerprint=echoed.fingerprint(),
            last_pushed_at=timezone.now(),
            updated_at=timezone.now(),
        )
        return {"action": action, **_ids(link), "conflicts": len(conflicts)}


def _ids(link) -> dict:
    return {
        "lead_id": str(link.pk),
        "resman_prospect_id": link.resman_prospect_id,
        "resman_person_id": link.resman_person_id,
    }


def _find_existing(client, property, prospect) -> ProspectRecord | None:
    for criteria in ({"email": prospect.email}, {"phone": prospect.phone}):
        if next(iter(criteria.values())):
            found = _first(client.search_prospects(property_id=property.resman_property_id, **criteria))
            if found is not None:
                return found
    return None


def _attach(link: LeadLink, record: ProspectRecord) -> None:
    owner = LeadLink.objects.filter(property=link.property_id, resman_prospect_id=record.prospect_id).first()
    if owner is not None and owner.pk != link.pk:
        raise DuplicateRecord(
            "This person's ResMan guest card already belongs to another prospect: merge the two contacts.",
            details={"resman_prospect_id": record.prospect_id, "other_prospect_id": str(owner.prospect_id)},
        )
    link.resman_prospect_id, link.resman_person_id = record.prospect_id, record.person_id
    link.save(update_fields=["resman_prospect_id", "resman_person_id", "updated_at"])


def _create(client, property, prospect, link, events) -> dict:
    if not (prospect.email or prospect.phone):
        raise outbox.Skip("The prospect has no email or phone yet: nothing to find them by in ResMan.")
    conversation = latest_conversations(property, [prospect.pk]).get(prospect.pk)
    lead_source = (conversation.source if conversation else "") or prospect.lead_source or "chat"
    manager = (conversation.taken_over_by if conversation else None) or _primary_manager(property)
    source_id = source_id_for(property=property, lead_source=lead_source)
    agent_id = agent_id_for(property=property, manager=manager)
    if not source_id and not agent_id:
        raise ResManNotMapped(
            f"Map the lead source '{lead_source}' (or set a default prospect source or agent) for this property.",
            details={"property_id": str(property.pk), "lead_source": lead_source},
        )
    values = local_values(prospect, conversation)
    first = LeadEvent(
        event_type=FIRST_CONTACT_EVENT,
        event_date=timezone.now(),
        agent_id=agent_id,
        source_id=source_id,
        first_contact=True,
        comments="Guest card from the website leasing assistant.",
    )
    document = document_from(
        values,
        customer_type="lost" if link.status == LeadStatus.LOST else "prospect",
        comment=conversation.ai_intent_summary if conversation else "",
        events=[first, *events],
    )
    echoed = client.post_lead(property_id=property.resman_property_id, document=document)
    now = timezone.now()
    stored = LeadLink.objects.filter(pk=link.pk, resman_prospect_id__isnull=True).update(
        resman_prospect_id=echoed.prospect_id,
        resman_person_id=echoed.person_id,
        synced_values=values,
        pushed_fingerprint=_fingerprint(document),
        pulled_fingerprint=echoed.fingerprint(),
        last_pushed_at=now,
        updated_at=now,
    )
    if not stored:
        logger.warning("Guest card %s was linked by another path while it was created", link.pk)
    link.refresh_from_db()
    return {"action": "created", **_ids(link), "conflicts": 0}


# --- ResManLeadSyncAPI ----------------------------------------------------------------------------
def lead_push(*, property, prospect, conversation_id: str | None = None, reason: str = "") -> OutboxItem:
    """pushLead: queues a push of the prospect's current state (coalesced with one still waiting)."""
    require_configured(property)
    conversation = latest_conversations(property, [prospect.pk]).get(prospect.pk)
    state = json.dumps(
        {
            "values": local_values(prospect, conversation),
            "updated": [str(prospect.updated_at), str(conversation.updated_at) if conversation else ""],
            "reason": reason,
        },
        sort_keys=True,
        default=str,
    )
    key = f"lead:{property.pk}:{prospect.pk}:{hashlib.sha256(state.encode()).hexdigest()[:24]}"
    return outbox.outbox_enqueue(
        kind=OutboxKind.LEAD_PUSH,
        property=property,
        key=key,
        prospect=prospect,
        payload={"conversation_id": conversation_id, "reason": reason},
    )


UPDATABLE = {
    "first_name": "first_name",
    "last_name": "last_name",
    "email": "email",
    "phone": "phone",
    "move_in_date": "move_in_date",
    "bedrooms": "bedrooms",
    "rent_min": "rent_min",
    "rent_max": "rent_max",
    "occupants": "occupants",
    "has_pets": "has_pets",
}


@transaction.atomic
def lead_update(*, lead: LeadLink, updates: dict):
    """updateLead: changes the lead here, then pushes it. A field in open conflict must be resolved first."""
    if lead.prospect_id is None:
        raise ValidationFailed("This guest card was merged into another lead.")
    blocked = sorted(set(updates) & set(_open_conflicts(lead)))
    if blocked:
        raise ConflictResolutionRequired(
            "These fields changed in ResMan too: resolve their conflicts first.", details={"fields": blocked}
        )
    prospect = Prospect.objects.select_for_update().get(pk=lead.prospect_id)
    conversation = latest_conversations(lead.property, [prospect.pk]).get(prospect.pk)
    touched = set()
    for name, value in updates.items():
        touched.add(apply_local(prospect, conversation, name, normalized(name, value)))
    if "prospect" in touched:
        prospect.save()
    if "conversation" in touched and conversation is not None:
        conversation.save()
    return lead_push(property=lead.property, prospect=prospect, reason="update")


def lead_pull(*, lead: LeadLink) -> IngestResult:
    """pullLead: reads the guest card from ResMan now and ingests it."""
    if not lead.is_linked:
        raise ValidationFailed("This lead is not in ResMan yet: push it first.", details={"lead_id": str(lead.pk)})
    property = lead.property
    require_configured(property)
    client = client_for(property.company)
    with tracked(property.company):
        record = _first(
            client.search_prospects(property_id=property.resman_property_id, prospect_id=lead.resman_prospect_id)
        )
    if record is None:
        raise ResManApiError(f"Guest card {lead.resman_prospect_id} is no longer in ResMan.", method="SearchProspects")
    return prospects_ingest(property=property, records=[record], origin="pull")


def lead_pull_updates(*, property, since: datetime, until: datetime | None = None, on_window=None) -> IngestResult:
    """pullLeadUpdates: every prospect ResMan changed in [since, until), window by window (each
    atomic; `on_window(end)` runs inside a window's transaction), halving a window on the 502."""
    require_configured(property)
    until = until or timezone.now()
    client = client_for(property.company)
    result = IngestResult()
    step = timedelta(hours=settings.RESMAN_POLL_WINDOW_HOURS)
    start = since
    with tracked(property.company):
        while start < until:
            end = min(start + step, until)
            result.add(_pull_window(client, property, start, end, on_window))
            start = end
    return result


def _pull_window(client, property, start, end, on_window) -> IngestResult:
    try:
        with transaction.atomic():
            records = client.search_prospects(
                property_id=property.resman_property_id, modified_start=start, modified_end=end
            )
            result = prospects_ingest(property=property, records=records, origin="poll")
            if on_window is not None:
                on_window(end)
            return result
    except ResManWindowTooWide:
        if end - start <= MIN_WINDOW:
            raise
        middle = start + (end - start) / 2
        result = _pull_window(client, property, start, middle, on_window)
        result.add(_pull_window(client, property, middle, end, on_window))
        return result


def property_poll(*, property_id) -> dict:
    """The beat poller's unit of work: one property, from its cursor to now. The cursor moves only
    inside the transaction that stored a window, so a failure re-reads from the last stored one."""
    now = timezone.now()
    property = Property.objects.select_related("company").get(pk=property_id)
    state = property_settings(property)
    taken = (
        PropertyResManSettings.objects.filter(pk=state.pk)
        .filter(Q(poll_claimed_until__isnull=True) | Q(poll_claimed_until__lt=now))
        .update(poll_claimed_until=now + timedelta(minutes=10))
    )
    if not taken:
        return {"ok": True, "skipped": True, "message": "Another worker is polling this property."}
    since = state.lead_cursor or now - timedelta(days=settings.RESMAN_BACKFILL_DAYS)

    def advance(end):
        PropertyResManSettings.objects.filter(pk=state.pk).update(lead_cursor=end)

    try:
        result = lead_pull_updates(property=property, since=since, until=now, on_window=advance)
    except (ResManApiError, outbox.ResManConnectionError) as exc:
        PropertyResManSettings.objects.filter(pk=state.pk).update(
            last_poll_at=now, last_poll_error=exc.message[:500], poll_claimed_until=None
        )
        return {"ok": False, "error": {"code": str(exc.code), "message": exc.message}}
    PropertyResManSettings.objects.filter(pk=state.pk).update(
        last_poll_at=now, last_poll_error="", poll_claimed_until=None
    )
    return {"ok": True, "since": since.isoformat(), "until": now.isoformat(), **result.as_dict()}


def properties_due_for_poll() -> list:
    due_before = timezone.now() - timedelta(seconds=settings.RESMAN_POLL_INTERVAL_SECONDS)
    candidates = (
        Property.objects.exclude(resman_property_id="")
        .exclude(company__resman_account_id="")
        .exclude(company__resman_integration_partner_id="")
        .filter(
            Q(resman_settings__isnull=True)
            | Q(resman_settings__last_poll_at__isnull=True)
            | Q(resman_settings__last_poll_at__lt=due_before)
        )
    )
    return list(candidates.values_list("pk", flat=True))


# --- lost and reactivated -------------------------------------------------------------------------
TRANSITIONS = {LeadStatus.ACTIVE: {LeadStatus.LOST}, LeadStatus.LOST: {LeadStatus.ACTIVE}}


@transaction.atomic
def lead_status_set(*, lead: LeadLink, status: str, reason_id: str = "", comments: str = ""):
    """Lost: ResMan's Cancel event with a lost reason; reactivated: its ReActivate event."""
    lead = LeadLink.objects.select_for_update().get(pk=lead.pk)
    if lead.prospect_id is None:
        raise ValidationFailed("This guest card was merged into another lead.")
    if status not in TRANSITIONS[lead.status]:
        raise InvalidStatusTransition(lead.status, status, TRANSITIONS[lead.status])
    if status == LeadStatus.LOST:
        reason_id = lost_reason_id_for(property=lead.property, reason_id=reason_id)
        if not reason_id:
            raise ValidationFailed(
                "A lost lead needs a ResMan lost reason (or a default one for the property).",
                details={"reason_id": ["Required."]},
            )
    lead.status = status
    lead.save(update_fields=["status", "updated_at"])
    return outbox.outbox_enqueue(
        kind=OutboxKind.LEAD_STATUS,
        property=lead.property,
        key=f"status:{lead.pk}:{status}:{timezone.now().isoformat()}",
        prospect=lead.prospect,
        payload={"status": status, "reason_id": reason_id, "comments": comments},
    )


def handle_lead_push(item) -> dict:
    if item.prospect is None:
        raise outbox.Skip("The prospect no longer exists.")
    return push_to_resman(property=item.property, prospect=item.prospect)


def handle_lead_status(item) -> dict:
    if item.prospect is None:
        raise outbox.Skip("The prospect no longer exists.")
    lost = item.payload["status"] == LeadStatus.LOST
    event = LeadEvent(
        event_type="Cancel" if lost else "ReActivate",
        event_date=item.created_at,
        source_id=item.payload.get("reason_id", "") if lost else "",
        comments=item.payload.get("comments", ""),
    )
    return push_to_resman(property=item.property, prospect=item.prospect, events=[event], force=True)


# --- conflicts ------------------------------------------------------------------------------------
def _validated(field: str, value):
    if field not in TRACKED:
        raise ValidationFailed("Unknown field.", details={"field": [field]})
    try:
        if field == "email" and value:
            validate_email(value)
        if field == "move_in_date" and value:
            datetime.strptime(str(value)[:10], "%Y-%m-%d")
        counted = field in ("bedrooms", "rent_min", "rent_max", "occupants") and value not in (None, "")
        if counted and (int(value) < 0 or int(value) != float(value)):
            raise ValueError
        if field == "has_pets" and value not in (None, True, False):
            raise ValueError
    except (DjangoValidationError, ValueError, TypeError):
        raise ValidationFailed(f"Not a valid value for {field}.", details={"value": [str(value)]}) from None
    return normalized(field, value)


@transaction.atomic
def conflict_resolve(*, conflict: SyncConflict, resolution: str, value=None, user=None):
    """resolveConflict: keeps ours, takes ResMan's, or sets a given value; then pushes the lead.

    The last agreed value becomes ResMan's current one, so the push (not the next poll) decides."""
    conflict = SyncConflict.objects.select_for_update().select_related("lead__property").get(pk=conflict.pk)
    if conflict.status != ConflictStatus.OPEN:
        raise InvalidStatusTransition(conflict.status, ConflictStatus.RESOLVED, {ConflictStatus.OPEN})
    lead = conflict.lead
    prospect = Prospect.objects.select_for_update().get(pk=lead.prospect_id)
    conversation = latest_conversations(lead.property, [prospect.pk]).get(prospect.pk)
    if resolution == ConflictResolution.OURS:
        final = local_values(prospect, conversation)[conflict.field]
    elif resolution == ConflictResolution.THEIRS:
        final = conflict.their_value
    elif resolution == ConflictResolution.VALUE:
        final = _validated(conflict.field, value)
    else:
        raise ValidationFailed("Resolution must be ours, theirs or value.", details={"resolution": [resolution]})
    changed = apply_local(prospect, conversation, conflict.field, final)
    (prospect if changed == "prospect" else conversation).save()
    lead.synced_values = {**lead.synced_values, conflict.field: conflict.their_value}
    lead.save(update_fields=["synced_values", "updated_at"])
    conflict.status = ConflictStatus.RESOLVED
    conflict.resolution = resolution
    conflict.resolved_value = final
    conflict.resolved_by = user
    conflict.resolved_at = timezone.now()
    conflict.save()
    item = outbox.outbox_enqueue(
        kind=OutboxKind.LEAD_PUSH,
        property=lead.property,
        key=f"resolve:{conflict.pk}",
        prospect=prospect,
        payload={"reason": "conflict resolved", "conflict_id": str(conflict.pk)},
    )
    return conflict, item
