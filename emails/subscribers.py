"""Domain events the emails app acts on: each enqueues a task that drafts a follow-up when the
property (or company) has a template with that trigger; without one, nothing happens."""

from django.db import transaction

from emails.models import TemplateTrigger


def on_tour_booked(*, tour_id, conversation_id=None, **_) -> None:
    if conversation_id:
        _draft_later(TemplateTrigger.TOUR_BOOKED, conversation_id, tour_id)


def on_contact_captured(*, conversation_id=None, **_) -> None:
    if conversation_id:
        _draft_later(TemplateTrigger.CONTACT_CAPTURED, conversation_id, None)


def _draft_later(trigger: str, conversation_id, tour_id) -> None:
    from emails import tasks

    args = (str(trigger), str(conversation_id), str(tour_id) if tour_id else None)
    transaction.on_commit(lambda: tasks.draft_for_trigger.delay(*args))
