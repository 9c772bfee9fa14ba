"""The one way ResMan's prospects come in, whether a poll, a webhook or a push's read-back found them.

`prospects_ingest` takes ResMan prospect records of one property and, per record:
- skips it when its content is what we last read (so a change that arrives by webhook and again by
  poll is applied once), or when its guest card was merged into another;
- links it to our prospect: the one already linked, else one of the company with the same email,
  then the same phone, else a new prospect with a conversation at the property (source "resman");
- compares each tracked field with ours and with the value both sides last agreed on: a change on
  their side only is applied here, on ours only is left for the push, on both is a `SyncConflict`
  (both values kept, neither side overwritten);
- stores the guest card's new events, and feeds future appointments into tours' busy-time cache.

Records are handled in batches with a fixed number of queries each, so 5,000 prospects cost tens of
queries per 500, not thousands.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import islice

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from conversations.models import Conversation, Prospect
from resman.mits import ProspectRecord
from resman.models import ConflictStatus, LeadLink, LeadStatus, ResManEvent, SyncConflict, TourLink
from resman.services.common import manager_for_agent
from resman.services.fields import (
    CONTACT_FIELDS,
    CONVERSATION_COLUMNS,
    TRACKED,
    apply_local,
    empty,
    local_values,
    record_values,
)
from tours import calendars

logger = logging.getLogger(__name__)
BATCH = 500
APPOINTMENT = "appointment"


@dataclass
class IngestResult:
    created: int = 0
    linked: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    conflicts: int = 0
    events: int = 0
    lead_ids: list = field(default_factory=list)

    def add(self, other: "IngestResult") -> None:
        for name in ("created", "linked", "updated", "unchanged", "skipped", "conflicts", "events"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.lead_ids.extend(other.lead_ids)

    @property
    def received(self) -> int:
        return self.created + self.linked + self.updated + self.unchanged + self.skipped

    def as_dict(self) -> dict:
        return {
            "received": self.received,
            "created": self.created,
            "linked": self.linked,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "conflicts": self.conflicts,
            "events": self.events,
        }


def prospects_ingest(*, property, records: Iterable[ProspectRecord], origin: str) -> IngestResult:
    """Applies ResMan's records of one property (see the module docstring). Atomic as a whole."""
    result = IngestResult()
    iterator = iter(records)
    with transaction.atomic():
        while batch := list(islice(iterator, BATCH)):
            result.add(_ingest_batch(property, batch, origin))
    return result


def latest_conversations(property, prospect_ids) -> dict:
    """The newest conversation of each prospect at the property: where their preferences live."""
    latest = {}
    rows = Conversation.objects.filter(property=property, prospect_id__in=prospect_ids).order_by(
        "prospect_id", "-start_time", "id"
    )
    for conversation in rows:
        latest.setdefault(conversation.prospect_id, conversation)
    return latest


def _ingest_batch(property, batch: list[ProspectRecord], origin: str) -> IngestResult:
    result = IngestResult()
    now = timezone.now()
    records = {record.prospect_id: record for record in batch}
    links = {
        link.resman_prospect_id: link
        for link in LeadLink.objects.filter(property=property, resman_prospect_id__in=list(records)).select_related(
            "prospect"
        )
    }
    pairs: list[tuple[LeadLink, ProspectRecord, bool]] = []  # (link, record, is_new_prospect)
    fingerprints = {}
    for prospect_id, record in records.items():
        link = links.get(prospect_id)
        fingerprints[prospect_id] = record.fingerprint()
        if link is not None and (link.merged_into_id or link.prospect_id is None):
            result.skipped += 1
        elif link is not None and link.pulled_fingerprint == fingerprints[prospect_id]:
            result.unchanged += 1
        elif link is not None:
            pairs.append((link, record, False))
    unlinked = [record for prospect_id, record in records.items() if prospect_id not in links]
    new = _link_new(property, unlinked, result)
    pairs.extend(new.pairs)

    # Rows created by this batch are written once, complete, at the end; only existing rows are updated.
    conversations = latest_conversations(property, [link.prospect_id for link, _, is_new in pairs if not is_new])
    new_conversations = []
    for link, _, _ in pairs:
        if link.prospect_id not in conversations:
            conversation = Conversation(property=property, prospect=link.prospect, source="resman")
            conversations[link.prospect_id] = conversation
            new_conversations.append(conversation)
    fresh_ids = {id(obj) for obj in (*new.prospects, *new_conversations)}
    just_linked = {id(link) for link, _, _ in new.pairs}

    open_conflicts = {
        (conflict.lead_id, conflict.field): conflict
        for conflict in SyncConflict.objects.filter(
            lead__in=[link for link, _, is_new in pairs if not is_new], status=ConflictStatus.OPEN
        )
    }
    changed_prospects, changed_conversations, new_conflicts, changed_conflicts = {}, {}, [], []
    for link, record, is_new in pairs:
        prospect, conversation = link.prospect, conversations[link.prospect_id]
        theirs = record_values(record)
        ours = local_values(prospect, conversation)
        base = dict(link.synced_values)
        for name in TRACKED:
            their, our, agreed = theirs[name], ours[name], base.get(name, empty(name))
            if their == our:
                base[name] = their
            elif our == agreed or is_new:
                changed = prospect if apply_local(prospect, conversation, name, their) == "prospect" else conversation
                if id(changed) not in fresh_ids:
                    (changed_prospects if changed is prospect else changed_conversations)[changed.pk] = changed
                base[name] = their
            elif their != agreed:
                result.conflicts += 1
                existing = open_conflicts.get((link.pk, name))
                if existing is None:
                    new_conflicts.append(
                        SyncConflict(
                            company_id=link.company_id,
                            property=property,
                            lead=link,
                            field=name,
                            base_value=agreed,
                            our_value=our,
                            their_value=their,
                        )
                    )
                elif (existing.our_value, existing.their_value) != (our, their):
                    existing.our_value, existing.their_value = our, their
                    changed_conflicts.append(existing)
        link.synced_values = base
        link.status = LeadStatus.LOST if record.customer_type == "lost" else LeadStatus.ACTIVE
        link.resman_person_id = record.person_id or link.resman_person_id
        link.pulled_fingerprint = fingerprints[record.prospect_id]
        link.last_pulled_at = now
        if id(link) not in just_linked:
            result.updated += 1
        result.lead_ids.append(link.pk)

    Prospect.objects.bulk_create(new.prospects, batch_size=BATCH)
    Conversation.objects.bulk_create(new_conversations, batch_size=BATCH)
    LeadLink.objects.bulk_create(new.links, batch_size=BATCH)
    Prospect.objects.bulk_update(list(changed_prospects.values()), list(CONTACT_FIELDS), batch_size=BATCH)
    Conversation.objects.bulk_update(
        list(changed_conversations.values()), list(CONVERSATION_COLUMNS.values()), batch_size=BATCH
    )
    created_links = {id(link) for link in new.links}
    LeadLink.objects.bulk_update(
        [link for link, _, _ in pairs if id(link) not in created_links],
        [
            "resman_prospect_id",
            "synced_values",
            "status",
            "resman_person_id",
            "pulled_fingerprint",
            "last_pulled_at",
            "updated_at",
        ],
        batch_size=BATCH,
    )
    SyncConflict.objects.bulk_create(new_conflicts, batch_size=BATCH)
    SyncConflict.objects.bulk_update(changed_conflicts, ["our_value", "their_value", "updated_at"], batch_size=BATCH)
    result.events = _store_events(property, pairs)
    logger.debug("Ingested %s ResMan prospects of %s from %s", len(batch), property.pk, origin)
    return result


@dataclass
class _NewLinks:
    pairs: list = field(default_factory=list)
    prospects: list = field(default_factory=list)  # to create
    links: list = field(default_factory=list)  # to create


def _link_new(property, records: list[ProspectRecord], result: IngestResult) -> _NewLinks:
    """Links records ResMan has and we do not: to our prospect with that email, then that phone,
    else to a new prospect. Nothing is written here."""
    new = _NewLinks()
    if not records:
        return new
    company_id = property.company_id
    emails = {record.email for record in records if record.email}
    phones = {record.phone for record in records if record.phone}
    candidates = list(
        Prospect.objects.filter(company_id=company_id)
        .annotate(email_lower=Lower("email"))
        .filter(Q(email_lower__in=emails) | Q(phone__in=phones))
        .order_by("created_at", "id")
    )
    by_email, by_phone = {}, {}
    for prospect in candidates:
        if prospect.email_lower:
            by_email.setdefault(prospect.email_lower, prospect)
        if prospect.phone:
            by_phone.setdefault(prospect.phone, prospect)
    existing_links = {
        link.prospect_id: link
        for link in LeadLink.objects.filter(property=property, prospect_id__in=[p.pk for p in candidates])
    }
    linked_now = set()
    for record in records:
        prospect = by_email.get(record.email) if record.email else None
        if prospect is None and record.phone:
            prospect = by_phone.get(record.phone)
        link = existing_links.get(prospect.pk) if prospect is not None else None
        if prospect is not None and prospect.pk not in linked_now and (link is None or not link.is_linked):
            linked_now.add(prospect.pk)
            if link is None:
                link = LeadLink(company_id=company_id, property=property, prospect=prospect)
                new.links.append(link)
            link.resman_prospect_id = record.prospect_id
            link.prospect = prospect
            result.linked += 1
            new.pairs.append((link, record, False))
            continue
        prospect = Prospect(
            company_id=company_id,
            first_name=record.first_name[:150],
            last_name=record.last_name[:150],
            email=record.email[:254],
            phone=record.phone[:32],
            lead_source="resman",
        )
        new.prospects.append(prospect)
        link = LeadLink(
            company_id=company_id, property=property, prospect=prospect, resman_prospect_id=record.prospect_id
        )
        new.links.append(link)
        result.created += 1
        new.pairs.append((link, record, True))
    return new


def _store_events(property, pairs) -> int:
    """New events only (by content key); future appointments also block tour times."""
    if not pairs:
        return 0
    keys = {}
    for link, record, _ in pairs:
        for event in record.events:
            keys[(link.pk, event.key())] = (link, record, event)
    known = set(ResManEvent.objects.filter(lead__in=[link for link, _, _ in pairs]).values_list("lead_id", "event_key"))
    fresh = [value for key, value in keys.items() if key not in known]
    ResManEvent.objects.bulk_create(
        [
            ResManEvent(
                lead=link,
                event_key=event.key(),
                event_type=event.event_type[:32],
                event_date=event.event_date,
                external_id=event.event_id[:100],
                agent_id=event.agent_id[:64],
                source_id=event.source_id[:64],
                first_contact=event.first_contact,
                comments=event.comments,
                reasons=event.reasons[:500],
            )
            for link, _, event in fresh
        ],
        batch_size=BATCH,
        ignore_conflicts=True,
    )
    appointments = [
        (link, record, event)
        for link, record, event in fresh
        if event.event_type.lower() == APPOINTMENT and event.event_date and event.event_date > timezone.now()
    ]
    if appointments:
        ours = {str(pk) for pk in TourLink.objects.filter(lead__property=property).values_list("tour_id", flat=True)}
        length = timedelta(minutes=settings.RESMAN_APPOINTMENT_MINUTES)
        for _link, record, event in appointments:
            if event.event_id in ours:
                continue  # our own tour, already in tours' calendar
            manager = manager_for_agent(property=property, agent_id=event.agent_id)
            calendars.busy_time_upsert(
                source="resman",
                company=property.company,
                external_id=f"{record.prospect_id}:{event.event_id or event.key()}",
                starts_at=event.event_date,
                ends_at=event.event_date + length,
                property_manager=manager,
                property=None if manager else property,
            )
    return len(fresh)
