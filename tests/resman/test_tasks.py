"""Celery tasks and beat jobs: idempotent claims, the outbox sweep, due polls."""

from datetime import timedelta

import pytest
from django.utils import timezone

from resman import tasks
from resman.models import OutboxItem, OutboxStatus, PropertyResManSettings
from resman.services import contacts, leads, outbox
from tests.resman.conftest import A1_RESMAN_ID, chat_lead

pytestmark = pytest.mark.django_db


def test_a_task_delivered_twice_sends_once(resman, tenants):
    item = outbox.outbox_enqueue(kind="lead_push", property=tenants.a1, key="twice", prospect=chat_lead(tenants.a1))
    first = tasks.process_outbox_item.apply(args=(str(item.pk),)).get()
    second = tasks.process_outbox_item.apply(args=(str(item.pk),)).get()
    assert (first["status"], second["status"]) == ("succeeded", "not_due")
    assert resman.creates == 1


def test_the_sweep_sends_due_pushes_and_takes_back_ones_a_dead_worker_held(resman, tenants):
    due = outbox.outbox_enqueue(kind="lead_push", property=tenants.a1, key="due", prospect=chat_lead(tenants.a1))
    OutboxItem.objects.filter(pk=due.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    held = outbox.outbox_enqueue(kind="lead_push", property=tenants.a1, key="held", prospect=chat_lead(tenants.a1))
    OutboxItem.objects.filter(pk=held.pk).update(
        status=OutboxStatus.PROCESSING, claimed_until=timezone.now() - timedelta(minutes=1)
    )
    later = outbox.outbox_enqueue(kind="lead_push", property=tenants.a1, key="later", prospect=chat_lead(tenants.a1))
    OutboxItem.objects.filter(pk=later.pk).update(next_attempt_at=timezone.now() + timedelta(minutes=5))

    assert tasks.dispatch_due_outbox() == 2
    statuses = dict(OutboxItem.objects.values_list("idempotency_key", "status"))
    assert statuses == {"due": "succeeded", "held": "succeeded", "later": "pending"}
    assert resman.creates == 2


def test_beat_polls_the_properties_that_are_due(resman, tenants):
    PropertyResManSettings.objects.filter(property=tenants.a2).update(last_poll_at=timezone.now())
    resman.seed_prospects(A1_RESMAN_ID, 2)
    polled = tasks.poll_due_properties()
    assert polled == 2  # a1 and b1 (never polled); a2 was polled a moment ago
    assert PropertyResManSettings.objects.get(property=tenants.a1).last_poll_at is not None
    assert tasks.poll_due_properties() == 0


def test_a_property_is_never_polled_by_two_workers_at_once(resman, tenants):
    PropertyResManSettings.objects.filter(property=tenants.a1).update(
        poll_claimed_until=timezone.now() + timedelta(minutes=5)
    )
    assert leads.property_poll(property_id=tenants.a1.pk)["skipped"] is True
    assert not [r for r in resman.requests if r.path == "/MITS/SearchProspects"]


def test_contact_updates_lists_prospects_whose_guest_cards_changed_since(resman, tenants):
    resman.seed_prospects(A1_RESMAN_ID, 3)
    before = timezone.now()
    leads.property_poll(property_id=tenants.a1.pk)
    assert contacts.contact_updates(company=tenants.company_a, since=before).count() == 3
    assert contacts.contact_updates(company=tenants.company_b, since=before).count() == 0
    assert contacts.contact_updates(company=tenants.company_a, since=timezone.now()).count() == 0
