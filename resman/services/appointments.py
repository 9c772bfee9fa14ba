"""ResManTourBookingAPI: tours as appointment events on the guest card, in UTC.

ResMan has no appointment endpoint and no tour availability of its own (notes §2): a tour is an
`Appointment` event posted with PostLeadManagement4_0, carrying our tour id as its EventID so that a
reschedule updates the same event. ResMan cannot delete an appointment, so a cancellation is
recorded on the guest card as an event of its own. Availability is answered by the tours app, which
also counts the appointments ResMan's agents booked (fed into its busy-time cache at ingestion).
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from conversations.models import Prospect
from core.errors import ValidationFailed
from resman.mits import LeadEvent
from resman.models import AgentMapping, LeadLink, OutboxKind, ResManEvent, TourLink
from resman.services import outbox
from resman.services.common import agent_id_for, manager_for_agent, require_configured
from resman.services.ingestion import APPOINTMENT
from resman.services.leads import property_poll, push_to_resman
from tours import calendars
from tours import selectors as tour_selectors
from tours import services as tour_services
from tours.models import LIVE_STATUSES, Tour


def _enqueue(kind: str, tour: Tour, key: str, **payload):
    require_configured(tour.property)
    return outbox.outbox_enqueue(kind=kind, property=tour.property, key=key, tour=tour, payload=payload)


def tour_book(*, tour: Tour):
    """bookTour: sends a tour booked here to ResMan as an appointment event."""
    if tour.status not in LIVE_STATUSES:
        raise ValidationFailed("Only a scheduled or confirmed tour can be sent.", details={"status": [tour.status]})
    return _enqueue(OutboxKind.TOUR_BOOK, tour, f"tour:{tour.pk}:book")


def tour_update(*, tour: Tour, start=None, manager=None):
    """updateTour: moves the tour (through the tours app, which keeps bookings from colliding)
    when a new time is given, then moves the appointment in ResMan."""
    if start is not None:
        tour = tour_services.tour_reschedule(tour=tour, start=start, manager=manager)
    return _enqueue(OutboxKind.TOUR_UPDATE, tour, f"tour:{tour.pk}:move:{tour.tour_datetime.isoformat()}")


def tour_cancel(*, tour: Tour, reason: str = ""):
    """cancelTour: cancels the tour here (when still live) and records it on the guest card."""
    if tour.status in LIVE_STATUSES:
        tour = tour_services.tour_cancel(tour=tour, reason=reason)
    return _enqueue(OutboxKind.TOUR_CANCEL, tour, f"tour:{tour.pk}:cancel", reason=reason or tour.cancel_reason)


def tour_availability(*, property, start, end, tour_type, manager=None) -> list:
    """getTourAvailability: the tours app's slots, which already leave out ResMan's appointments."""
    return tour_selectors.tour_available_slots(
        property=property, start=start, end=end, tour_type=tour_type, manager=manager
    )


def tour_changes_sync(*, property) -> dict:
    """syncTourChanges: polls the property's guest cards, then rebuilds the busy times of the
    appointments ResMan's own agents booked (ours are tours already)."""
    require_configured(property)
    poll = property_poll(property_id=property.pk)
    now = timezone.now()
    horizon = now + timedelta(days=tour_selectors.tour_settings_get(property=property).horizon_days + 1)
    ours = {str(pk) for pk in TourLink.objects.filter(lead__property=property).values_list("tour_id", flat=True)}
    length = timedelta(minutes=settings.RESMAN_APPOINTMENT_MINUTES)
    owners: dict = {None: []}
    for mapping in AgentMapping.objects.filter(property=property).select_related("property_manager"):
        owners.setdefault(mapping.property_manager, [])
    events = ResManEvent.objects.filter(
        lead__property=property, event_type__iexact=APPOINTMENT, event_date__gte=now, event_date__lt=horizon
    ).select_related("lead")
    for event in events:
        if event.external_id in ours:
            continue
        manager = manager_for_agent(property=property, agent_id=event.agent_id)
        owners.setdefault(manager, []).append(
            (
                event.event_date,
                event.event_date + length,
                f"{event.lead.resman_prospect_id}:{event.external_id or event.event_key}",
            )
        )
    blocked = 0
    for manager, intervals in owners.items():
        blocked += calendars.busy_times_replace(
            source="resman",
            company=property.company,
            window_start=now,
            window_end=horizon,
            intervals=intervals,
            property_manager=manager,
            property=None if manager else property,
        )
    return {**poll, "appointments_blocked": blocked}


# --- outbox handlers --------------------------------------------------------------------------------
def _prospect_for(tour: Tour) -> Prospect:
    """The tour's prospect: from its conversation, else the company's by email or phone, else new."""
    conversation = tour.conversation
    if conversation is not None and conversation.prospect_id:
        return conversation.prospect
    company_id = tour.property.company_id
    match = Q()
    if tour.prospect_email:
        match |= Q(email__iexact=tour.prospect_email)
    if tour.prospect_phone:
        match |= Q(phone=tour.prospect_phone)
    found = (
        Prospect.objects.filter(company_id=company_id).filter(match).order_by("created_at").first() if match else None
    )
    if found is not None:
        return found
    first, _, last = tour.prospect_name.partition(" ")
    return Prospect.objects.create(
        company_id=company_id,
        first_name=first[:150],
        last_name=last[:150],
        email=tour.prospect_email,
        phone=tour.prospect_phone,
        lead_source=tour.source,
    )


def _appointment(tour: Tour) -> LeadEvent:
    return LeadEvent(
        event_type="Appointment",
        event_date=tour.tour_datetime,
        event_id=str(tour.pk),
        agent_id=agent_id_for(property=tour.property, manager=tour.property_manager),
        comments=f"{tour.get_tour_type_display()} tour, {tour.duration_minutes} minutes"
        + (f", unit {tour.unit_interest}" if tour.unit_interest else "")
        + ".",
    )


def handle_tour_push(item) -> dict:
    tour = item.tour
    if tour is None:
        raise outbox.Skip("The tour no longer exists.")
    prospect = _prospect_for(tour)
    if item.kind == OutboxKind.TOUR_CANCEL:
        when = tour.tour_datetime.strftime("%Y-%m-%d %H:%M UTC")
        reason = item.payload.get("reason", "")
        event = LeadEvent(
            event_type="Other",
            event_date=tour.cancelled_at or timezone.now(),
            comments=f"The appointment of {when} (tour {tour.pk}) was cancelled. {reason}".strip(),
            reasons="Appointment cancelled",
        )
    else:
        event = _appointment(tour)
    result = push_to_resman(property=tour.property, prospect=prospect, events=[event], force=True)
    lead = LeadLink.objects.get(pk=result["lead_id"])
    fields = {"lead": lead}
    if item.kind == OutboxKind.TOUR_CANCEL:
        fields["cancelled_at"] = timezone.now()
    else:
        fields["pushed_datetime"] = tour.tour_datetime
    TourLink.objects.update_or_create(tour=tour, defaults=fields)
    return {
        **result,
        "tour_id": str(tour.pk),
        "event_type": event.event_type,
        "event_date": event.event_date.isoformat(),
    }
