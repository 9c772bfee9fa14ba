"""ResManContactManagementAPI: a prospect's contact details across all their guest cards, and the
merge of two prospects who turn out to be one person.

A merge moves everything of the secondary prospect to the primary here (conversations and with them
tours and notifications, browser sessions, guest-card links, ResMan events), fills the primary's
blank details from the secondary, and deletes the secondary. Where both had a guest card at the same
property, ResMan gets the same treatment through the outbox: the secondary card's events are copied
onto the primary card, and the secondary card is closed as lost ("duplicate"); its link is kept,
marked merged, so that polls do not bring it back as a new prospect.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from conversations.models import Conversation, Prospect, ProspectSession
from core.errors import ValidationFailed
from resman.mits import LeadDocument, LeadEvent, parse_datetime
from resman.models import LeadLink, OutboxKind, ResManEvent, SyncConflict, TourLink
from resman.services import outbox
from resman.services.common import client_for, lost_reason_id_for, property_configured, tracked
from resman.services.fields import CONTACT_FIELDS, normalized
from resman.services.ingestion import IngestResult, prospects_ingest
from resman.services.leads import lead_push, push_to_resman

MERGE_FILL = ("first_name", "last_name", "email", "phone", "age", "lead_source")


def _properties_of(prospect) -> list:
    """Where the prospect has a guest card or a conversation, among properties linked to ResMan."""
    from properties.models import Property

    ids = set(prospect.conversations.values_list("property_id", flat=True)) | set(
        LeadLink.objects.filter(prospect=prospect).values_list("property_id", flat=True)
    )
    return [p for p in Property.objects.filter(pk__in=ids).select_related("company") if property_configured(p)]


def contact_sync(*, prospect, property=None) -> list:
    """syncContact: pushes the prospect to their guest card at each ResMan property (or one)."""
    properties = [property] if property is not None else _properties_of(prospect)
    return [lead_push(property=p, prospect=prospect, reason="contact sync") for p in properties]


@transaction.atomic
def contact_update(*, prospect, updates: dict) -> list:
    """updateContact: changes the contact details here, then pushes them to every guest card."""
    prospect = Prospect.objects.select_for_update().get(pk=prospect.pk)
    for name, value in updates.items():
        if name not in CONTACT_FIELDS:
            raise ValidationFailed("Only contact details can be changed here.", details={name: ["Unknown field."]})
        setattr(prospect, name, normalized(name, value))
    prospect.save()
    return contact_sync(prospect=prospect)


def contact_get(*, prospect, refresh: bool = False) -> IngestResult | None:
    """getContact: with `refresh`, reads each of the prospect's guest cards from ResMan first."""
    if not refresh:
        return None
    total = IngestResult()
    for link in (
        LeadLink.objects.filter(prospect=prospect).exclude(resman_prospect_id=None).select_related("property__company")
    ):
        client = client_for(link.property.company)
        with tracked(link.property.company):
            records = list(
                client.search_prospects(
                    property_id=link.property.resman_property_id, prospect_id=link.resman_prospect_id
                )
            )
        total.add(prospects_ingest(property=link.property, records=records, origin="contact"))
    return total


def contact_updates(*, company, since: datetime):
    """getContactUpdates: the company's prospects whose guest cards changed since a time."""
    return (
        Prospect.objects.filter(company=company, resman_links__last_pulled_at__gte=since)
        .distinct()
        .order_by("-updated_at", "id")
    )


@transaction.atomic
def contacts_merge(*, primary: Prospect, secondary: Prospect, push: bool = True) -> dict:
    """mergeContacts (see the module docstring). `push=False` when ResMan already merged them."""
    if primary.pk == secondary.pk:
        raise ValidationFailed(
            "A prospect cannot be merged into itself.", details={"secondary_id": [str(secondary.pk)]}
        )
    if primary.company_id != secondary.company_id:
        raise ValidationFailed("Both prospects must belong to the same company.")
    locked = {p.pk: p for p in Prospect.objects.select_for_update().filter(pk__in=[primary.pk, secondary.pk])}
    primary, secondary = locked[primary.pk], locked[secondary.pk]
    moved_conversations = Conversation.objects.filter(prospect=secondary).update(prospect=primary)
    ProspectSession.objects.filter(prospect=secondary).update(prospect=primary)
    for name in MERGE_FILL:
        if getattr(primary, name) in (None, "") and getattr(secondary, name) not in (None, ""):
            setattr(primary, name, getattr(secondary, name))
    primary.session_count += secondary.session_count
    primary.save()
    resman_merges, moved_events = [], 0
    primary_links = {link.property_id: link for link in LeadLink.objects.filter(prospect=primary)}
    for link in LeadLink.objects.filter(prospect=secondary).select_related("property"):
        target = primary_links.get(link.property_id)
        if target is None:
            link.prospect = primary
            link.save(update_fields=["prospect", "updated_at"])
            continue
        known = set(ResManEvent.objects.filter(lead=target).values_list("event_key", flat=True))
        events = list(ResManEvent.objects.filter(lead=link).exclude(event_key__in=known))
        moved_events += ResManEvent.objects.filter(pk__in=[e.pk for e in events]).update(lead=target)
        TourLink.objects.filter(lead=link).update(lead=target)
        SyncConflict.objects.filter(lead=link).delete()
        if link.is_linked and not target.is_linked:
            # Only the secondary is in ResMan: the primary takes its guest card over.
            ids = (link.resman_prospect_id, link.resman_person_id, link.synced_values)
            link.delete()
            target.resman_prospect_id, target.resman_person_id, target.synced_values = ids
            target.save(update_fields=["resman_prospect_id", "resman_person_id", "synced_values", "updated_at"])
            continue
        link.prospect, link.merged_into = None, target
        link.save(update_fields=["prospect", "merged_into", "updated_at"])
        if push and link.is_linked and target.is_linked:
            resman_merges.append(
                outbox.outbox_enqueue(
                    kind=OutboxKind.CONTACT_MERGE,
                    property=link.property,
                    key=f"merge:{link.pk}:{target.pk}",
                    prospect=primary,
                    payload={
                        "primary_lead_id": str(target.pk),
                        "secondary_lead_id": str(link.pk),
                        "events": [
                            {
                                "event_type": e.event_type,
                                "event_date": e.event_date.isoformat() if e.event_date else None,
                                "agent_id": e.agent_id,
                                "comments": e.comments,
                                "reasons": e.reasons,
                            }
                            for e in events
                            if e.event_type.lower() not in ("cancel", "reactivate")
                        ],
                    },
                )
            )
    secondary_id = str(secondary.pk)
    secondary.delete()
    pushes = contact_sync(prospect=primary) if push else []
    return {
        "primary_id": str(primary.pk),
        "secondary_id": secondary_id,
        "conversations_moved": moved_conversations,
        "events_moved": moved_events,
        "resman_merges": [str(item.pk) for item in resman_merges],
        "pushes": [str(item.pk) for item in pushes],
    }


def handle_contact_merge(item) -> dict:
    """Copies the secondary card's events onto the primary one, then closes the secondary as lost.
    The first step is recorded on the item, so a retry does not copy the events twice."""
    primary = LeadLink.objects.select_related("prospect").get(pk=item.payload["primary_lead_id"])
    secondary = LeadLink.objects.get(pk=item.payload["secondary_lead_id"])
    property = item.property
    done = dict(item.result or {})
    if not done.get("events_copied"):
        events = [
            LeadEvent(
                event_type=e["event_type"] or "Other",
                event_date=parse_datetime(e["event_date"] or "") or timezone.now(),
                agent_id=e["agent_id"],
                comments=f"[Merged from guest card {secondary.resman_prospect_id}] {e['comments']}".strip(),
                reasons=e["reasons"],
            )
            for e in item.payload.get("events", [])
        ]
        push_to_resman(property=property, prospect=primary.prospect, events=events, force=True)
        done["events_copied"] = True
        type(item).objects.filter(pk=item.pk).update(result=done)
    client = client_for(property.company)
    reason_id = lost_reason_id_for(property=property)
    document = LeadDocument(
        first_name=secondary.synced_values.get("first_name", ""),
        last_name=secondary.synced_values.get("last_name", ""),
        customer_type="lost",
        prospect_id=secondary.resman_prospect_id,
        person_id=secondary.resman_person_id,
        events=[
            LeadEvent(
                event_type="Cancel",
                event_date=timezone.now(),
                source_id=reason_id,
                comments=f"Duplicate: merged into guest card {primary.resman_prospect_id}.",
            )
        ],
    )
    with tracked(property.company):
        client.post_lead(property_id=property.resman_property_id, document=document)
    return {**done, "secondary_closed": True, "primary_resman_prospect_id": primary.resman_prospect_id}
