"""Writes: tour settings, holds, bookings and their state machine, the prospect's own changes.

Every booking-like write (schedule, record, hold, reschedule, reassign) runs `_locked_slot`: it
locks the property's tour-settings row, finds the slot free, locks the chosen manager's row and
checks again (a manager may work at several properties), then inserts. The partial unique
constraints on Tour are the last word: an insert that still collides fails in the database and
answers TOUR_UNAVAILABLE.
"""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from core.errors import Forbidden, InvalidStatusTransition, TourUnavailable, ValidationFailed
from core.events import publish
from properties.models import PropertyManager
from tours import tasks
from tours.models import (
    LIVE_STATUSES,
    MANAGED_TYPES,
    NotificationKind,
    NotificationStatus,
    Tour,
    TourHold,
    TourNotification,
    TourSettings,
    TourSource,
    TourStatus,
    TourType,
)
from tours.selectors import Slot, tour_managers, tour_settings_get, tour_slot_find

# Which status each status may move to. Rescheduling moves a live tour back to "scheduled" (the
# new time needs confirming again); completed and no-show may be corrected into each other.
TRANSITIONS: dict[str, set[str]] = {
    TourStatus.SCHEDULED: {
        TourStatus.SCHEDULED,
        TourStatus.CONFIRMED,
        TourStatus.CANCELLED,
        TourStatus.COMPLETED,
        TourStatus.NO_SHOW,
    },
    TourStatus.CONFIRMED: {TourStatus.SCHEDULED, TourStatus.CANCELLED, TourStatus.COMPLETED, TourStatus.NO_SHOW},
    TourStatus.COMPLETED: {TourStatus.NO_SHOW},
    TourStatus.NO_SHOW: {TourStatus.COMPLETED},
    TourStatus.CANCELLED: set(),
}


def _check_transition(tour: Tour, target: str) -> None:
    allowed = TRANSITIONS[tour.status]
    if target not in allowed:
        raise InvalidStatusTransition(tour.status, target, allowed)


# --- settings -------------------------------------------------------------------------------------
def tour_settings_update(*, property, **fields) -> TourSettings:
    config, _ = TourSettings.objects.get_or_create(property=property)
    for name, value in fields.items():
        setattr(config, name, value)
    config.save()
    property.tour_settings = config
    return config


# --- locking and slot choice ------------------------------------------------------------------------
def _lock_property(property) -> TourSettings:
    config, _ = TourSettings.objects.get_or_create(property=property)
    config = TourSettings.objects.select_for_update().get(pk=config.pk)
    # Availability below must read these very settings, not a copy cached on the instance.
    property.tour_settings = config
    return config


def _aware_utc(start: datetime) -> datetime:
    if timezone.is_naive(start):
        raise ValidationFailed("A tour time needs a UTC offset.", details={"tour_datetime": ["Give an offset."]})
    return start.astimezone(UTC)


def _least_busy(manager_ids: tuple, around: datetime):
    """Spreads tours: the free manager with the fewest live tours that day (primary first on ties)."""
    counts = dict(
        Tour.objects.filter(
            property_manager_id__in=manager_ids,
            status__in=LIVE_STATUSES,
            tour_datetime__gte=around - timedelta(hours=12),
            tour_datetime__lt=around + timedelta(hours=12),
        )
        .order_by()
        .values("property_manager_id")
        .annotate(n=Count("id"))
        .values_list("property_manager_id", "n")
    )
    return min(manager_ids, key=lambda pk: (counts.get(pk, 0), manager_ids.index(pk)))


def _free_seat(*, property, config: TourSettings, start: datetime, end: datetime, hold_key, ignoring_tour) -> int:
    tours = Tour.objects.filter(
        property=property,
        tour_type=TourType.SELF_GUIDED,
        status__in=LIVE_STATUSES,
        tour_datetime__lt=end,
        ends_at__gt=start,
    )
    if ignoring_tour is not None:
        tours = tours.exclude(pk=ignoring_tour.pk)
    holds = TourHold.objects.filter(
        property=property,
        tour_type=TourType.SELF_GUIDED,
        expires_at__gt=timezone.now(),
        starts_at__lt=end,
        ends_at__gt=start,
    ).exclude(hold_key=hold_key or "")
    taken = set(tours.values_list("seat", flat=True)) | set(holds.values_list("seat", flat=True))
    return min(set(range(1, config.self_guided_capacity + 1)) - taken)


def _locked_slot(
    *,
    property,
    start: datetime,
    tour_type: str,
    manager=None,
    hold_key: str | None = None,
    ignoring_tour=None,
    enforce_rules: bool = True,
    preferred_manager_id=None,
) -> tuple[TourSettings, Slot, PropertyManager | None, int | None]:
    """Within a transaction: the slot, the manager (managed types) or seat (self-guided) to take."""
    if tour_type not in TourType.values:
        raise ValidationFailed(f"Unknown tour type '{tour_type}'.", details={"tour_type": [tour_type]})
    config = _lock_property(property)
    if enforce_rules and tour_type not in config.tour_types:
        raise TourUnavailable(f"This property does not offer {tour_type.replace('_', ' ')} tours.")
    options = {"property": property, "start": start, "tour_type": tour_type, "hold_key": hold_key}
    options |= {"ignoring_tour": ignoring_tour, "enforce_rules": enforce_rules}
    slot = tour_slot_find(manager=manager, **options)
    if slot is None:
        raise TourUnavailable()
    if tour_type not in MANAGED_TYPES:
        seat = _free_seat(
            property=property,
            config=config,
            start=slot.start,
            end=slot.end,
            hold_key=hold_key,
            ignoring_tour=ignoring_tour,
        )
        return config, slot, None, seat
    if preferred_manager_id in slot.manager_ids:
        chosen_id = preferred_manager_id
    else:
        chosen_id = _least_busy(slot.manager_ids, slot.start)
    chosen = PropertyManager.objects.select_for_update().get(pk=chosen_id)
    # Now that no one else can book this manager, look again: another property may just have.
    if tour_slot_find(manager=chosen, **options) is None:
        raise TourUnavailable()
    return config, slot, chosen, None


def _held(*, property, hold_key: str | None, start: datetime, tour_type: str) -> TourHold | None:
    if not hold_key:
        return None
    return TourHold.objects.filter(
        property=property, hold_key=hold_key, starts_at=start, tour_type=tour_type, expires_at__gt=timezone.now()
    ).first()


# --- holds ------------------------------------------------------------------------------------------
@transaction.atomic
def tour_hold(
    *, property, start: datetime, tour_type: str = TourType.IN_PERSON, hold_key: str, manager=None
) -> TourHold:
    """Keeps a slot for `hold_key` for TOUR_HOLD_MINUTES; a new hold with the same key replaces it."""
    start = _aware_utc(start)
    if not hold_key or len(hold_key) > 64:
        raise ValidationFailed("A hold needs a key of at most 64 characters.", details={"hold_key": [hold_key]})
    _config, slot, chosen, seat = _locked_slot(
        property=property, start=start, tour_type=tour_type, manager=manager, hold_key=hold_key
    )
    now = timezone.now()
    TourHold.objects.filter(property=property).filter(expires_at__lte=now).delete()
    TourHold.objects.filter(property=property, hold_key=hold_key).delete()
    return TourHold.objects.create(
        property=property,
        hold_key=hold_key,
        tour_type=tour_type,
        starts_at=slot.start,
        ends_at=slot.end,
        property_manager=chosen,
        seat=seat,
        expires_at=now + timedelta(minutes=settings.TOUR_HOLD_MINUTES),
    )


def tour_hold_release(*, property, hold_key: str) -> None:
    TourHold.objects.filter(property=property, hold_key=hold_key).delete()


# --- booking ----------------------------------------------------------------------------------------
def _validate_links(*, property, conversation, manager) -> None:
    if conversation is not None and conversation.property_id != property.pk:
        raise ValidationFailed(
            "The conversation belongs to another property.", details={"conversation_id": [str(conversation.pk)]}
        )
    if manager is not None and manager.pk not in {m.pk for m in tour_managers(property=property)}:
        raise ValidationFailed(
            "This manager is not assigned to the property.", details={"property_manager_id": [str(manager.pk)]}
        )


def _insert(tour: Tour) -> Tour:
    try:
        with transaction.atomic():
            tour.save()
    except IntegrityError:
        # Another booking took the slot between our check and our insert; the database said no.
        raise TourUnavailable() from None
    return tour


def _book(
    *,
    property,
    start: datetime,
    tour_type: str,
    prospect_name: str,
    prospect_email: str,
    prospect_phone: str,
    conversation,
    manager,
    source: str,
    unit_interest: str,
    hold_key: str | None,
    enforce_rules: bool,
    notes: str = "",
) -> Tour:
    start = _aware_utc(start)
    if not (prospect_name or "").strip():
        raise ValidationFailed("A tour needs the prospect's name.", details={"prospect_name": ["Required."]})
    if source not in TourSource.values:
        raise ValidationFailed(f"Unknown source '{source}'.", details={"source": [source]})
    _validate_links(property=property, conversation=conversation, manager=manager)
    with transaction.atomic():
        hold = _held(property=property, hold_key=hold_key, start=start, tour_type=tour_type)
        _config, slot, chosen, seat = _locked_slot(
            property=property,
            start=start,
            tour_type=tour_type,
            manager=manager,
            hold_key=hold_key,
            enforce_rules=enforce_rules,
            preferred_manager_id=hold.property_manager_id if hold else None,
        )
        tour = _insert(
            Tour(
                property=property,
                conversation=conversation,
                property_manager=chosen,
                prospect_name=prospect_name.strip(),
                prospect_email=prospect_email or "",
                prospect_phone=prospect_phone or "",
                unit_interest=unit_interest or "",
                tour_datetime=slot.start,
                ends_at=slot.end,
                duration_minutes=int((slot.end - slot.start).total_seconds() // 60),
                tour_type=tour_type,
                source=source,
                seat=seat,
                notes=notes or "",
            )
        )
        if hold_key:
            TourHold.objects.filter(property=property, hold_key=hold_key).delete()
        _notify(tour, NotificationKind.CONFIRMATION)
        _schedule_reminders(tour)
        _publish("tour.booked", tour)
    return tour


def tour_schedule(
    *,
    property,
    start: datetime,
    tour_type: str = TourType.IN_PERSON,
    prospect_name: str,
    prospect_email: str = "",
    prospect_phone: str = "",
    conversation=None,
    manager=None,
    source: str = TourSource.CHAT,
    unit_interest: str = "",
    hold_key: str | None = None,
) -> Tour:
    """Books an available slot (tour hours, notice, horizon, no collision) or raises TourUnavailable.

    The chat, the website and staff all book through here; without `manager` the least busy free
    manager is chosen (or the one the prospect's hold reserved).
    """
    return _book(
        property=property,
        start=start,
        tour_type=tour_type,
        prospect_name=prospect_name,
        prospect_email=prospect_email,
        prospect_phone=prospect_phone,
        conversation=conversation,
        manager=manager,
        source=source,
        unit_interest=unit_interest,
        hold_key=hold_key,
        enforce_rules=True,
    )


def tour_record(
    *,
    property,
    start: datetime,
    tour_type: str = TourType.IN_PERSON,
    prospect_name: str,
    prospect_email: str = "",
    prospect_phone: str = "",
    conversation=None,
    manager=None,
    source: str = TourSource.PHONE,
    unit_interest: str = "",
    notes: str = "",
) -> Tour:
    """Staff enter a tour agreed elsewhere (a walk-in now, a call): any time, but never a collision."""
    return _book(
        property=property,
        start=start,
        tour_type=tour_type,
        prospect_name=prospect_name,
        prospect_email=prospect_email,
        prospect_phone=prospect_phone,
        conversation=conversation,
        manager=manager,
        source=source,
        unit_interest=unit_interest,
        hold_key=None,
        enforce_rules=False,
        notes=notes,
    )


@transaction.atomic
def tour_reschedule(*, tour: Tour, start: datetime, manager=None, enforce_rules: bool = True) -> Tour:
    """Moves a live tour to a new free slot (keeping its manager when free); it needs confirming again."""
    start = _aware_utc(start)
    tour = Tour.objects.select_for_update().select_related("property").get(pk=tour.pk)
    _check_transition(tour, TourStatus.SCHEDULED)
    if tour.tour_type in MANAGED_TYPES:
        _validate_links(property=tour.property, conversation=None, manager=manager)
    _config, slot, chosen, seat = _locked_slot(
        property=tour.property,
        start=start,
        tour_type=tour.tour_type,
        manager=manager,
        ignoring_tour=tour,
        enforce_rules=enforce_rules,
        preferred_manager_id=tour.property_manager_id,
    )
    previous = tour.tour_datetime
    tour.tour_datetime, tour.ends_at = slot.start, slot.end
    tour.duration_minutes = int((slot.end - slot.start).total_seconds() // 60)
    tour.property_manager, tour.seat = chosen, seat
    moved = previous != slot.start
    if moved:
        tour.status, tour.confirmed_at = TourStatus.SCHEDULED, None
        tour.reschedule_count += 1
    _insert(tour)
    if moved:
        _withdraw_pending(tour)
        _notify(tour, NotificationKind.RESCHEDULED)
        _schedule_reminders(tour)
    _publish("tour.rescheduled", tour, previous_tour_datetime=previous.isoformat())
    return tour


def tour_reassign(*, tour: Tour, manager) -> Tour:
    """Gives the tour to another manager, who must be free then (hours and notice do not apply)."""
    if tour.tour_type not in MANAGED_TYPES:
        raise ValidationFailed("Self-guided tours have no manager.", details={"property_manager_id": ["Not used."]})
    return tour_reschedule(tour=tour, start=tour.tour_datetime, manager=manager, enforce_rules=False)


@transaction.atomic
def tour_cancel(*, tour: Tour, reason: str = "", by_prospect: bool = False) -> Tour:
    tour = Tour.objects.select_for_update().select_related("property").get(pk=tour.pk)
    _check_transition(tour, TourStatus.CANCELLED)
    tour.status, tour.cancelled_at = TourStatus.CANCELLED, timezone.now()
    tour.cancel_reason, tour.cancelled_by_prospect = (reason or "")[:500], by_prospect
    tour.save(update_fields=["status", "cancelled_at", "cancel_reason", "cancelled_by_prospect", "updated_at"])
    _withdraw_pending(tour)
    _notify(tour, NotificationKind.CANCELLED)
    _publish("tour.cancelled", tour)
    return tour


@transaction.atomic
def tour_confirm(*, tour: Tour) -> Tour:
    tour = Tour.objects.select_for_update().get(pk=tour.pk)
    _check_transition(tour, TourStatus.CONFIRMED)
    tour.status, tour.confirmed_at = TourStatus.CONFIRMED, timezone.now()
    tour.save(update_fields=["status", "confirmed_at", "updated_at"])
    return tour


@transaction.atomic
def tour_record_outcome(*, tour: Tour, status: str, outcome: str = "", notes: str = "") -> Tour:
    """After the tour: completed (with how it went) or no-show."""
    if status not in (TourStatus.COMPLETED, TourStatus.NO_SHOW):
        raise ValidationFailed("An outcome is 'completed' or 'no_show'.", details={"status": [status]})
    tour = Tour.objects.select_for_update().get(pk=tour.pk)
    _check_transition(tour, status)
    if tour.tour_datetime > timezone.now():
        raise ValidationFailed(
            "The outcome of a tour can be recorded once it has started.",
            details={"tour_datetime": [tour.tour_datetime.isoformat()]},
        )
    tour.status, tour.outcome, tour.outcome_notes = status, outcome or "", notes or ""
    tour.outcome_recorded_at = timezone.now()
    tour.save(update_fields=["status", "outcome", "outcome_notes", "outcome_recorded_at", "updated_at"])
    _withdraw_pending(tour)
    _publish(f"tour.{status}", tour)
    return tour


@transaction.atomic
def tour_update(*, tour: Tour, manager=None, **fields) -> Tour:
    """Changes the prospect's details or notes; a new manager goes through `tour_reassign`."""
    if manager is not None and manager.pk != tour.property_manager_id:
        tour = tour_reassign(tour=tour, manager=manager)
    if fields:
        for name, value in fields.items():
            setattr(tour, name, value)
        tour.save(update_fields=[*fields, "updated_at"])
    return tour


@transaction.atomic
def tour_delete(*, tour: Tour) -> None:
    """Soft delete; a live tour is cancelled first, so calendars and ResMan hear of it."""
    if tour.is_live:
        tour = tour_cancel(tour=tour, reason="Deleted by staff.")
    tour.deleted_at = timezone.now()
    tour.save(update_fields=["deleted_at", "updated_at"])


# --- the prospect's own link -------------------------------------------------------------------------
def tour_change_deadline(*, tour: Tour) -> datetime:
    config = tour_settings_get(property=tour.property)
    return tour.tour_datetime - timedelta(minutes=config.change_notice_minutes)


def _check_prospect_may_change(tour: Tour, target: str) -> None:
    _check_transition(tour, target)
    deadline = tour_change_deadline(tour=tour)
    if timezone.now() > deadline:
        raise Forbidden(
            "This tour is too close to change online; please call the office.",
            details={"deadline": deadline.isoformat()},
        )


def tour_reschedule_by_prospect(*, tour: Tour, start: datetime) -> Tour:
    _check_prospect_may_change(tour, TourStatus.SCHEDULED)
    return tour_reschedule(tour=tour, start=start)


def tour_cancel_by_prospect(*, tour: Tour, reason: str = "") -> Tour:
    _check_prospect_may_change(tour, TourStatus.CANCELLED)
    return tour_cancel(tour=tour, reason=reason, by_prospect=True)


# --- notifications and events -------------------------------------------------------------------------
def _notify(tour: Tour, kind: str) -> None:
    if not tour.prospect_email:
        return
    notification = TourNotification.objects.create(
        tour=tour, kind=kind, recipient=tour.prospect_email, send_at=timezone.now()
    )
    transaction.on_commit(lambda: tasks.send_tour_notification.delay(str(notification.pk)))


def _schedule_reminders(tour: Tour) -> None:
    """One reminder per configured offset that still lies ahead; the beat sweep sends them when due."""
    if not tour.prospect_email:
        return
    now = timezone.now()
    due_times = {tour.tour_datetime - timedelta(minutes=m) for m in settings.TOUR_REMINDER_OFFSETS_MINUTES}
    TourNotification.objects.bulk_create(
        TourNotification(tour=tour, kind=NotificationKind.REMINDER, recipient=tour.prospect_email, send_at=due)
        for due in sorted(due_times)
        if due > now
    )


def _withdraw_pending(tour: Tour) -> None:
    TourNotification.objects.filter(
        tour=tour, kind=NotificationKind.REMINDER, status=NotificationStatus.PENDING
    ).update(status=NotificationStatus.WITHDRAWN, updated_at=timezone.now())


def _publish(event: str, tour: Tour, **extra) -> None:
    publish(
        event,
        tour_id=str(tour.pk),
        property_id=str(tour.property_id),
        conversation_id=str(tour.conversation_id) if tour.conversation_id else None,
        **extra,
    )
