"""Lead notifications: stored for every manager who wants this type, pushed live over their
WebSocket, and emailed (later, if they are in their quiet hours) through Django's email backend.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone

from conversations import realtime
from conversations.models import (
    Conversation,
    DeliveryState,
    LeadNotification,
    NotificationPreference,
    NotificationStatus,
    default_channels,
)
from properties.models import PropertyManager, StaffRole

WEBSOCKET, EMAIL = "websocket", "email"


def notification_payload(notification: LeadNotification) -> dict:
    """What the manager's WebSocket receives (the REST LeadNotificationSerializer's main fields)."""
    return {
        "id": str(notification.pk),
        "conversation_id": str(notification.conversation_id),
        "property_manager_id": str(notification.property_manager_id) if notification.property_manager_id else None,
        "notification_type": notification.notification_type,
        "status": notification.status,
        "title": notification.title,
        "body": notification.body,
        "payload": notification.payload,
        "created_at": notification.created_at.isoformat(),
        "sent_at": notification.sent_at.isoformat() if notification.sent_at else None,
    }


def property_recipients(property) -> list[PropertyManager]:
    """The managers assigned to the property; when it has none, the company's administrators."""
    managers = list(
        PropertyManager.objects.filter(assignments__property=property, user__is_active=True)
        .select_related("user", "notification_preference")
        .order_by("created_at")
    )
    if managers:
        return managers
    return list(
        PropertyManager.objects.filter(
            company_id=property.company_id, role=StaffRole.COMPANY_ADMIN, user__is_active=True
        )
        .select_related("user", "notification_preference")
        .order_by("created_at")
    )


def preference_of(manager: PropertyManager) -> NotificationPreference:
    """The stored preference, or the default (every type, every channel, no quiet hours), unsaved."""
    try:
        return manager.notification_preference
    except NotificationPreference.DoesNotExist:
        return NotificationPreference(property_manager=manager)


def in_quiet_hours(preference: NotificationPreference, moment: datetime) -> bool:
    start, end = preference.quiet_hours_start, preference.quiet_hours_end
    if start is None or end is None or start == end:
        return False
    local = moment.astimezone(ZoneInfo(preference.time_zone)).time()
    if start < end:
        return start <= local < end
    return local >= start or local < end  # the span crosses midnight


def notify_property_managers(
    *, conversation, notification_type: str, title: str, body: str = "", dedupe_key: str, managers=None, payload=None
) -> list[LeadNotification]:
    """Creates one notification per manager who wants this type, and delivers each after commit."""
    if managers is None:
        managers = property_recipients(conversation.property)
    created = []
    for manager in managers:
        preference = preference_of(manager)
        if notification_type not in (preference.event_types or []):
            continue
        notification = _create_once(
            conversation=conversation,
            manager=manager,
            notification_type=notification_type,
            title=title,
            body=body,
            dedupe_key=dedupe_key,
            payload=payload or {},
        )
        if notification is not None:
            notification_deliver(notification=notification, preference=preference)
            created.append(notification)
    if created:
        _record_on_conversation(conversation, notification_type, len(created))
    return created


def _record_on_conversation(conversation, notification_type: str, count: int) -> None:
    """The conversation's notification_status: per type, how many managers were told and when."""
    summary = dict(conversation.notification_status or {})
    previous = summary.get(notification_type) or {}
    summary[notification_type] = {"count": previous.get("count", 0) + count, "last_at": timezone.now().isoformat()}
    conversation.notification_status = summary
    Conversation.objects.filter(pk=conversation.pk).update(notification_status=summary)


def _create_once(*, conversation, manager, dedupe_key, **fields) -> LeadNotification | None:
    try:
        with transaction.atomic():
            return LeadNotification.objects.create(
                conversation=conversation, property_manager=manager, dedupe_key=dedupe_key, **fields
            )
    except IntegrityError:
        return None  # this event already notified this manager


def notification_create(
    *, conversation, manager, notification_type: str, title: str, body: str = "", payload=None
) -> LeadNotification:
    """A notification written by staff (POST /api/lead-notifications): stored, not yet delivered."""
    return LeadNotification.objects.create(
        conversation=conversation,
        property_manager=manager,
        notification_type=notification_type,
        title=title,
        body=body,
        payload=payload or {},
    )


def notification_deliver(
    *, notification: LeadNotification, preference: NotificationPreference | None = None, force: bool = False
) -> LeadNotification:
    """Pushes over the WebSocket and queues the email, per the manager's channels. `force` (an
    explicit send) ignores quiet hours."""
    manager = notification.property_manager
    if manager is None:
        return notification
    preference = preference or preference_of(manager)
    channels = {**default_channels(), **(preference.channels or {})}
    delivery = dict(notification.delivery)
    now = timezone.now()
    if channels.get(WEBSOCKET):
        delivery[WEBSOCKET] = DeliveryState.SENT
    else:
        delivery[WEBSOCKET] = DeliveryState.DISABLED
    if not channels.get(EMAIL) or not manager.user.email:
        delivery[EMAIL] = DeliveryState.DISABLED
    elif not force and in_quiet_hours(preference, now):
        delivery[EMAIL] = DeliveryState.HELD
    else:
        delivery[EMAIL] = DeliveryState.QUEUED
    notification.delivery = delivery
    if delivery[WEBSOCKET] == DeliveryState.SENT or delivery[EMAIL] == DeliveryState.QUEUED:
        if notification.status == NotificationStatus.PENDING:
            notification.status = NotificationStatus.SENT
        notification.sent_at = notification.sent_at or now
    notification.save(update_fields=["delivery", "status", "sent_at", "updated_at"])
    if delivery[WEBSOCKET] == DeliveryState.SENT:
        realtime.push_notification(notification_payload(notification), manager_id=manager.pk)
    if delivery[EMAIL] == DeliveryState.QUEUED:
        from conversations.tasks import send_notification_email

        notification_id = str(notification.pk)
        # robust: a broker or mail failure must not fail the request that created the notification.
        transaction.on_commit(lambda: send_notification_email.delay(notification_id), robust=True)
    return notification


def notification_mark_read(*, notification: LeadNotification) -> LeadNotification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
    if notification.status in (NotificationStatus.PENDING, NotificationStatus.SENT, NotificationStatus.FAILED):
        notification.status = NotificationStatus.READ
    notification.save(update_fields=["read_at", "status", "updated_at"])
    return notification


def notification_respond(*, notification: LeadNotification) -> LeadNotification:
    now = timezone.now()
    notification.read_at = notification.read_at or now
    notification.response_at = notification.response_at or now
    notification.status = NotificationStatus.RESPONDED
    notification.save(update_fields=["read_at", "response_at", "status", "updated_at"])
    return notification


def notification_update(*, notification: LeadNotification, **fields) -> LeadNotification:
    status = fields.pop("status", None)
    for name, value in fields.items():
        setattr(notification, name, value)
    notification.save()
    if status == NotificationStatus.READ:
        return notification_mark_read(notification=notification)
    if status == NotificationStatus.RESPONDED:
        return notification_respond(notification=notification)
    return notification


def notifications_mark_read(*, manager: PropertyManager, ids=None) -> int:
    """Marks the manager's unread notifications (or only `ids` among them) read; returns how many."""
    unread = LeadNotification.objects.filter(property_manager=manager, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    now = timezone.now()
    count = unread.filter(status__in=[NotificationStatus.PENDING, NotificationStatus.SENT]).update(
        read_at=now, status=NotificationStatus.READ, updated_at=now
    )
    return count + unread.update(read_at=now, updated_at=now)


def notification_delete(*, notification: LeadNotification) -> None:
    notification.delete()


def preference_update(*, manager: PropertyManager, **fields) -> NotificationPreference:
    preference, _ = NotificationPreference.objects.get_or_create(property_manager=manager)
    for name, value in fields.items():
        setattr(preference, name, value)
    preference.save()
    return preference


def held_emails_release(*, now: datetime | None = None) -> int:
    """Queues the emails held during quiet hours that have now ended; returns how many."""
    from conversations.tasks import send_notification_email

    now = now or timezone.now()
    released = 0
    held = LeadNotification.objects.filter(delivery__email=DeliveryState.HELD).select_related(
        "property_manager__notification_preference"
    )
    for notification in held.iterator():
        if in_quiet_hours(preference_of(notification.property_manager), now):
            continue
        notification.delivery = {**notification.delivery, EMAIL: DeliveryState.QUEUED}
        if notification.status == NotificationStatus.PENDING:
            notification.status = NotificationStatus.SENT
        notification.sent_at = notification.sent_at or now
        notification.save(update_fields=["delivery", "status", "sent_at", "updated_at"])
        notification_id = str(notification.pk)
        transaction.on_commit(
            lambda notification_id=notification_id: send_notification_email.delay(notification_id), robust=True
        )
        released += 1
    return released
