"""The chat's domain events, as analytics hears them: each queues a task that records the event (for
Amplitude; its id makes a repeat a no-op) and recomputes the conversation's record."""

from analytics import tasks
from analytics.models import EventType


def _queue(conversation_id, event_type=None, event_id=None, properties=None) -> None:
    if conversation_id:
        event_type = str(event_type) if event_type else None
        tasks.record_domain_event.delay(str(conversation_id), event_type, event_id, properties or {})


def on_contact_captured(*, conversation_id=None, **_) -> None:
    _queue(conversation_id, EventType.CONTACT_CAPTURED, EventType.CONTACT_CAPTURED)


def on_lead_updated(*, conversation_id=None, **_) -> None:
    # Qualification changes: the record's flags say what matters (and record their own events).
    _queue(conversation_id)


def on_question_escalated(*, conversation_id=None, faq_id=None, **_) -> None:
    _queue(
        conversation_id,
        EventType.QUESTION_ESCALATED,
        f"{EventType.QUESTION_ESCALATED}:{faq_id}",
        {"faq_id": str(faq_id) if faq_id else None},
    )


def _tour_handler(event_type: str):
    def handler(*, tour_id, conversation_id=None, previous_tour_datetime=None, **_) -> None:
        # A tour can move several times: each move is its own event.
        suffix = f":{previous_tour_datetime}" if previous_tour_datetime else ""
        properties = {"tour_id": str(tour_id)}
        if previous_tour_datetime:
            properties["previous_tour_datetime"] = previous_tour_datetime
        _queue(conversation_id, event_type, f"{event_type}:{tour_id}{suffix}", properties)

    handler.__qualname__ = f"on_{event_type}"
    return handler


HANDLERS = {
    "lead.contact_captured": on_contact_captured,
    "lead.updated": on_lead_updated,
    "faq.question_escalated": on_question_escalated,
    "tour.booked": _tour_handler(EventType.TOUR_BOOKED),
    "tour.rescheduled": _tour_handler(EventType.TOUR_RESCHEDULED),
    "tour.cancelled": _tour_handler(EventType.TOUR_CANCELLED),
    "tour.completed": _tour_handler(EventType.TOUR_COMPLETED),
    "tour.no_show": _tour_handler(EventType.TOUR_NO_SHOW),
}
