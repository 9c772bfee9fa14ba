"""Background work of the chat: notification emails (claimed once, retried with backoff)."""

import logging
import smtplib

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from conversations.models import DeliveryState, LeadNotification, NotificationStatus
from conversations.notifications import held_emails_release

logger = logging.getLogger(__name__)


@shared_task(
    name="conversations.send_notification_email",
    bind=True,
    max_retries=5,
    retry_backoff=30,
    retry_backoff_max=1800,
    soft_time_limit=30,
    time_limit=60,
)
def send_notification_email(self, notification_id: str) -> str:
    """Sends a notification's email once: the row is claimed (queued -> sending) before sending."""
    claimed = LeadNotification.objects.filter(pk=notification_id, delivery__email=DeliveryState.QUEUED)
    notification = claimed.select_related("property_manager__user", "conversation__property").first()
    if notification is None:
        return "skipped"
    notification.delivery = {**notification.delivery, "email": DeliveryState.SENDING}
    if not claimed.filter(updated_at=notification.updated_at).update(
        delivery=notification.delivery, updated_at=timezone.now()
    ):
        return "skipped"  # another worker claimed it first
    manager = notification.property_manager
    link = f"{settings.FRONTEND_URL}/conversations/{notification.conversation_id}"
    try:
        send_mail(
            subject=notification.title,
            message=f"{notification.body}\n\nOpen the conversation: {link}\n",
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[manager.user.email],
        )
    except (OSError, smtplib.SMTPException) as exc:
        final = self.request.retries >= self.max_retries
        state = DeliveryState.FAILED if final else DeliveryState.QUEUED
        LeadNotification.objects.filter(pk=notification_id).update(
            delivery={**notification.delivery, "email": state, "email_error": str(exc)[:300]},
            updated_at=timezone.now(),
        )
        if final:
            if notification.status == NotificationStatus.PENDING:
                LeadNotification.objects.filter(pk=notification_id).update(status=NotificationStatus.FAILED)
            logger.error("Notification %s: email failed for good: %s", notification_id, exc)
            return "failed"
        raise self.retry(exc=exc) from exc
    LeadNotification.objects.filter(pk=notification_id).update(
        delivery={**notification.delivery, "email": DeliveryState.SENT}, updated_at=timezone.now()
    )
    return "sent"


@shared_task(name="conversations.release_held_notification_emails", soft_time_limit=60, time_limit=90)
def release_held_notification_emails() -> int:
    return held_emails_release()
