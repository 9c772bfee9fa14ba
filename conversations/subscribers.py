"""What the chat does when the FAQ app reports on questions the bot escalated."""

import logging

from django.apps import apps
from django.db import transaction

from conversations import notifications, services
from conversations.models import Conversation, LeadNotification, MessageSender, NotificationStatus, NotificationType
from properties.models import PropertyManager

logger = logging.getLogger(__name__)


def on_question_escalated(
    *, faq_id, property_id, conversation_id=None, assigned_manager_id=None, task_id=None, **_
) -> None:
    """Tells the assigned manager (or the property's managers) that a prospect waits for an answer."""
    if conversation_id is None:
        return
    conversation = Conversation.objects.select_related("property").filter(pk=conversation_id).first()
    if conversation is None:
        return
    managers = None
    if assigned_manager_id:
        managers = list(
            PropertyManager.objects.filter(pk=assigned_manager_id).select_related("user", "notification_preference")
        )
    question = apps.get_model("faqs", "Faq").objects.filter(pk=faq_id).values_list("question", flat=True).first()
    with transaction.atomic():
        notifications.notify_property_managers(
            conversation=conversation,
            notification_type=NotificationType.UNANSWERED_QUESTION,
            title=f"Unanswered question at {conversation.property.name}",
            body=question or "",
            dedupe_key=f"faq:{faq_id}:{conversation_id}",
            managers=managers,
            payload={"faq_id": str(faq_id), "task_id": str(task_id) if task_id else None},
        )


def on_faq_answered(*, faq_id, answer, conversation_ids=(), manager_id=None, **_) -> None:
    """Posts the answer, as the manager who gave it, into every conversation that waited for it."""
    manager = PropertyManager.objects.select_related("user").filter(pk=manager_id).first() if manager_id else None
    for conversation in Conversation.objects.filter(pk__in=list(conversation_ids)):
        with transaction.atomic():
            services.message_send(
                conversation=conversation,
                sender=MessageSender.MANAGER,
                manager=manager,
                text=answer,
                client_message_id=f"faq-answer:{faq_id}",
                metadata={"faq_id": str(faq_id)},
            )
            LeadNotification.objects.filter(
                conversation=conversation,
                notification_type=NotificationType.UNANSWERED_QUESTION,
                payload__faq_id=str(faq_id),
            ).exclude(status=NotificationStatus.RESPONDED).update(status=NotificationStatus.RESPONDED)
