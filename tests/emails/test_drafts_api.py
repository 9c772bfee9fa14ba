"""Drafts over the API: creating by hand or from a template, editing, the status machine, and the
checks that keep a lead without an address from being sent to."""

from datetime import timedelta

import pytest
from django.utils import timezone

from emails.models import EmailDraft, EmailStatus
from tests.emails.conftest import make_lead
from tests.emails.factories import EmailDraftFactory, EmailTemplateFactory
from tests.factories import ConversationFactory

pytestmark = pytest.mark.django_db


def _create(client, lead, conversation, **body):
    payload = {"lead_id": str(lead.pk), "conversation_id": str(conversation.pk), **body}
    return client.post("/api/email/drafts", payload, format="json")


def _in(minutes: int) -> str:
    return (timezone.now() + timedelta(minutes=minutes)).isoformat()


def test_a_draft_written_by_hand_has_every_spec_field_and_a_preview(writer, lead_a1, tenants):
    lead, conversation = lead_a1
    response = _create(
        writer,
        lead,
        conversation,
        subject="Your visit",
        content="<p>Hi Jamie,</p>\n\nThe pool opens in May.\nSam",
        priority="high",
        tags=["tour", "pool"],
    )

    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    assert data["lead_id"] == str(lead.pk)
    assert data["conversation_id"] == str(conversation.pk)
    assert data["property_id"] == str(tenants.a1.pk)
    assert data["subject"] == "Your visit"
    assert data["preview"] == "Hi Jamie, The pool opens in May. Sam"
    assert data["status"] == "draft"
    assert data["priority"] == "high"
    assert data["tags"] == ["tour", "pool"]
    assert data["scheduled_for"] is None and data["sent_at"] is None
    assert data["recipient_email"] == "jamie.rivera@example.com"
    assert data["created_by_id"] == str(tenants.manager_write.pk)


def test_a_draft_from_a_template_is_rendered_for_the_lead(writer, lead_a1, tenants):
    lead, conversation = lead_a1
    template = EmailTemplateFactory(property=tenants.a1)

    response = _create(writer, lead, conversation, template_id=str(template.pk))

    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    assert data["subject"] == "Welcome to A One"
    assert data["content"].startswith("Hi Jamie,\n\nThanks for your interest in A One.")
    assert data["template_id"] == str(template.pk)


def test_a_template_that_needs_a_tour_the_lead_has_not_booked_is_a_400(writer, lead_a1, tenants):
    lead, conversation = lead_a1
    template = EmailTemplateFactory(property=tenants.a1, content="See you {{ tour_datetime }}")

    response = _create(writer, lead, conversation, template_id=str(template.pk))

    assert response.status_code == 400
    assert "tour_datetime" in response.json()["error"]["message"]
    assert not EmailDraft.objects.exists()


def test_another_propertys_template_cannot_be_used(admin_a, lead_a1, tenants):
    lead, conversation = lead_a1
    template = EmailTemplateFactory(property=tenants.a2)
    response = _create(admin_a, lead, conversation, template_id=str(template.pk))
    assert response.status_code == 400


def test_the_conversation_must_be_the_leads(writer, lead_a1, tenants):
    lead, _ = lead_a1
    other = ConversationFactory(property=tenants.a1)
    response = _create(writer, lead, other, subject="Hi", content="Hello")
    assert response.status_code == 400
    assert "conversation_id" in response.json()["error"]["details"]


def test_without_a_template_subject_and_content_are_required(writer, lead_a1):
    lead, conversation = lead_a1
    response = _create(writer, lead, conversation, subject="Only a subject")
    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"content"}


@pytest.mark.parametrize(
    "body",
    [
        {"subject": "Two\nlines", "content": "x"},
        {"subject": "Hi", "content": "x", "priority": "urgent"},
        {"subject": "Hi", "content": "x", "tags": "not-a-list"},
        {"subject": "Hi", "content": "x", "tags": ["t"] * 21},
        {"subject": "Hi", "content": "x", "scheduled_for": "tomorrow"},
    ],
)
def test_bad_input_is_a_400_and_writes_nothing(writer, lead_a1, body):
    lead, conversation = lead_a1
    response = _create(writer, lead, conversation, **body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert not EmailDraft.objects.exists()


def test_a_draft_can_be_created_scheduled(writer, lead_a1):
    lead, conversation = lead_a1
    when = _in(90)
    response = _create(writer, lead, conversation, subject="Hi", content="x", status="scheduled", scheduled_for=when)
    assert response.status_code == 201, response.json()
    assert response.json()["data"]["status"] == "scheduled"


def test_list_is_filtered_and_paginated(writer, tenants):
    lead, conversation = make_lead(tenants.a1)
    EmailDraftFactory(conversation=conversation, tags=["tour"], status=EmailStatus.DRAFT)
    EmailDraftFactory(conversation=conversation, tags=["pricing"], status=EmailStatus.FAILED)
    EmailDraftFactory.create_batch(2, conversation=ConversationFactory(property=tenants.a1))

    everything = writer.get("/api/email/drafts?limit=3").json()
    assert everything["meta"]["pagination"] == {"page": 1, "limit": 3, "total": 4, "totalPages": 2}
    failed = writer.get("/api/email/drafts?status=failed").json()["data"]
    assert [d["tags"] for d in failed] == [["pricing"]]
    tagged = writer.get("/api/email/drafts?tag=tour").json()["data"]
    assert [d["tags"] for d in tagged] == [["tour"]]
    assert len(writer.get(f"/api/email/drafts?lead_id={lead.pk}").json()["data"]) == 2
    assert writer.get("/api/email/drafts?status=lost").status_code == 400


def test_put_changes_the_text(writer, lead_a1):
    draft = EmailDraftFactory(conversation=lead_a1[1])
    response = writer.put(
        f"/api/email/drafts/{draft.pk}", {"subject": "New subject", "content": "New text", "tags": []}, format="json"
    )
    assert response.status_code == 200, response.json()
    draft.refresh_from_db()
    assert (draft.subject, draft.content, draft.tags) == ("New subject", "New text", [])


def test_delete_removes_an_unsent_email(writer, lead_a1):
    draft = EmailDraftFactory(conversation=lead_a1[1])
    assert writer.delete(f"/api/email/drafts/{draft.pk}").status_code == 200
    assert not EmailDraft.objects.filter(pk=draft.pk).exists()


# --- the status machine ------------------------------------------------------------------------
def test_schedule_then_back_to_draft_cancels_it(writer, lead_a1):
    draft = EmailDraftFactory(conversation=lead_a1[1])
    when = _in(60)

    scheduled = writer.post(f"/api/email/schedule/{draft.pk}", {"scheduled_for": when}, format="json")
    assert scheduled.status_code == 200, scheduled.json()
    assert scheduled.json()["data"]["status"] == "scheduled"

    cancelled = writer.patch(f"/api/email/drafts/{draft.pk}", {"status": "draft"}, format="json")
    assert cancelled.status_code == 200
    assert cancelled.json()["data"]["status"] == "draft"
    assert cancelled.json()["data"]["scheduled_for"] is None


def test_a_scheduled_email_can_be_moved_to_another_time(writer, lead_a1):
    draft = EmailDraftFactory(conversation=lead_a1[1])
    writer.post(f"/api/email/schedule/{draft.pk}", {"scheduled_for": _in(60)}, format="json")
    later = _in(600)
    response = writer.patch(f"/api/email/drafts/{draft.pk}", {"scheduled_for": later}, format="json")
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.status == EmailStatus.SCHEDULED and draft.scheduled_for.isoformat()[:16] == later[:16]


def test_a_scheduled_email_keeps_its_time_when_a_body_repeats_its_status(writer, lead_a1):
    draft = EmailDraftFactory(conversation=lead_a1[1])
    writer.post(f"/api/email/schedule/{draft.pk}", {"scheduled_for": _in(60)}, format="json")
    draft.refresh_from_db()
    response = writer.patch(f"/api/email/drafts/{draft.pk}", {"status": "scheduled", "priority": "low"}, format="json")
    assert response.status_code == 200, response.json()
    before = draft.scheduled_for
    draft.refresh_from_db()
    assert (draft.status, draft.scheduled_for, draft.priority) == (EmailStatus.SCHEDULED, before, "low")


def test_moving_a_draft_to_scheduled_needs_a_time(writer, lead_a1):
    draft = EmailDraftFactory(conversation=lead_a1[1])
    response = writer.patch(f"/api/email/drafts/{draft.pk}", {"status": "scheduled"}, format="json")
    assert response.status_code == 400
    assert "scheduled_for" in response.json()["error"]["details"]


def test_a_time_on_an_unscheduled_draft_is_a_400_not_silently_ignored(writer, lead_a1):
    draft = EmailDraftFactory(conversation=lead_a1[1])
    response = writer.patch(f"/api/email/drafts/{draft.pk}", {"scheduled_for": _in(60)}, format="json")
    assert response.status_code == 400
    assert "scheduled_for" in response.json()["error"]["details"]


def test_scheduling_in_the_past_is_a_400(writer, lead_a1):
    draft = EmailDraftFactory(conversation=lead_a1[1])
    response = writer.post(f"/api/email/schedule/{draft.pk}", {"scheduled_for": _in(-30)}, format="json")
    assert response.status_code == 400
    draft.refresh_from_db()
    assert draft.status == EmailStatus.DRAFT


@pytest.mark.parametrize("target", ["sent", "failed"])
def test_staff_cannot_mark_an_email_sent_or_failed(writer, lead_a1, target):
    draft = EmailDraftFactory(conversation=lead_a1[1])
    response = writer.patch(f"/api/email/drafts/{draft.pk}", {"status": target}, format="json")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "INVALID_STATUS_TRANSITION"
    assert error["details"] == {"current": "draft", "requested": target, "allowed": ["draft", "scheduled"]}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("patch", "/api/email/drafts/{id}", {"status": "draft"}),
        ("put", "/api/email/drafts/{id}", {"subject": "Changed", "content": "Changed"}),
        ("delete", "/api/email/drafts/{id}", None),
        ("post", "/api/email/send/{id}", None),
        ("post", "/api/email/schedule/{id}", {"scheduled_for": "2099-01-01T10:00:00Z"}),
    ],
)
def test_a_sent_email_can_no_longer_be_changed(writer, lead_a1, method, path, body):
    draft = EmailDraftFactory(conversation=lead_a1[1], status=EmailStatus.SENT, sent_at=timezone.now())
    response = getattr(writer, method)(path.format(id=draft.pk), body, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "INVALID_STATUS_TRANSITION"
    draft.refresh_from_db()
    assert draft.status == EmailStatus.SENT and draft.subject != "Changed"


def test_an_email_being_sent_cannot_be_changed(writer, lead_a1):
    draft = EmailDraftFactory(
        conversation=lead_a1[1],
        status=EmailStatus.SCHEDULED,
        scheduled_for=timezone.now(),
        claimed_until=timezone.now() + timedelta(minutes=5),
    )
    response = writer.patch(f"/api/email/drafts/{draft.pk}", {"status": "draft"}, format="json")
    assert response.status_code == 409
    assert "being sent" in response.json()["error"]["message"]


@pytest.mark.parametrize("route", ["send", "schedule"])
def test_a_lead_without_an_email_address_cannot_be_sent_to(writer, tenants, route):
    _, conversation = make_lead(tenants.a1, email="")
    draft = EmailDraftFactory(conversation=conversation)
    response = writer.post(f"/api/email/{route}/{draft.pk}", {"scheduled_for": _in(60)}, format="json")
    assert response.status_code == 400
    assert "lead_id" in response.json()["error"]["details"]
    draft.refresh_from_db()
    assert draft.status == EmailStatus.DRAFT


def test_a_failed_email_goes_back_to_draft_for_editing(writer, lead_a1):
    draft = EmailDraftFactory(conversation=lead_a1[1], status=EmailStatus.FAILED, failure_reason="SendGrid 401")
    response = writer.patch(f"/api/email/drafts/{draft.pk}", {"status": "draft"}, format="json")
    assert response.status_code == 200
    assert response.json()["data"]["failure_reason"] == ""
