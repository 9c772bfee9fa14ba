"""Campaigns: CRUD, sending to a filtered set of a property's leads once per lead, unsubscribes,
the unsubscribe link in every copy, and sent_count."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from conversations.models import ConversationStatus
from emails import tasks
from emails.models import EmailCampaign, EmailDraft, EmailStatus, EmailUnsubscribe
from tests.emails.conftest import make_lead
from tests.emails.factories import EmailCampaignFactory
from tours.models import Tour, TourType

pytestmark = pytest.mark.django_db

BODY = {
    "title": "Spring special",
    "description": "One month free",
    "template_content": "Hi {{ first_name }},\n\n{{ property_name }} has one month free this spring.",
}


def _send(client, campaign, **body):
    return client.post(f"/api/email/campaigns/{campaign.pk}/send", body, format="json")


@pytest.fixture
def campaign(tenants):
    return EmailCampaignFactory(property=tenants.a1, title="Spring special")


def test_create_has_every_spec_field(writer, tenants):
    response = writer.post("/api/email/campaigns", {**BODY, "property_id": str(tenants.a1.pk)}, format="json")

    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    assert data["property_id"] == str(tenants.a1.pk)
    assert data["title"] == "Spring special" and data["description"] == "One month free"
    assert data["template_content"] == BODY["template_content"]
    assert data["sent_count"] == 0
    assert data["placeholders"] == ["first_name", "property_name"]


@pytest.mark.parametrize(
    "overrides",
    [
        {"template_content": "Hi {{ nickname }}"},
        {"template_content": "{% for x in y %}{% endfor %}"},
        {"subject": "Hi {{ first_name|upper }}"},
        {"title": ""},
    ],
)
def test_invalid_campaigns_are_a_400(writer, tenants, overrides):
    body = {**BODY, "property_id": str(tenants.a1.pk), **overrides}
    response = writer.post("/api/email/campaigns", body, format="json")
    assert response.status_code == 400
    assert not EmailCampaign.objects.exists()


def test_put_changes_the_campaign(writer, campaign):
    response = writer.put(f"/api/email/campaigns/{campaign.pk}", {**BODY, "title": "Summer"}, format="json")
    assert response.status_code == 200
    assert response.json()["data"]["title"] == "Summer"


def test_sending_creates_one_email_per_lead_and_counts_them(writer, campaign, tenants, sendgrid_a, commit):
    leads = [make_lead(tenants.a1, email=f"lead{n}@example.com")[0] for n in range(3)]
    make_lead(tenants.a1, email="")  # no address: not reachable
    make_lead(tenants.a2, email="elsewhere@example.com")  # another property's lead

    with commit():
        response = _send(writer, campaign)

    assert response.status_code == 200, response.json()
    result = response.json()["data"]
    assert (result["matched"], result["created"], result["already_received"]) == (3, 3, 0)
    assert sorted(m["personalizations"][0]["to"][0]["email"] for m in sendgrid_a.accepted) == sorted(
        lead.email for lead in leads
    )
    first = sendgrid_a.accepted_to("lead0@example.com")[0]
    assert first["content"][0]["value"].startswith("Hi Jamie,\n\nA One has one month free this spring.")
    assert first["subject"] == "Spring special"
    assert writer.get(f"/api/email/campaigns/{campaign.pk}").json()["data"]["sent_count"] == 3
    assert EmailDraft.objects.filter(campaign=campaign, status=EmailStatus.SENT).count() == 3


def test_a_lead_never_receives_the_same_campaign_twice(writer, campaign, tenants, sendgrid_a, commit):
    make_lead(tenants.a1, email="once@example.com")
    with commit():
        _send(writer, campaign)
    make_lead(tenants.a1, email="new@example.com")

    with commit():
        second = _send(writer, campaign).json()["data"]

    assert (second["matched"], second["created"], second["already_received"]) == (2, 1, 1)
    assert len(sendgrid_a.accepted_to("once@example.com")) == 1
    assert len(sendgrid_a.accepted_to("new@example.com")) == 1


def test_two_chats_from_one_address_get_one_copy(writer, campaign, tenants, sendgrid_a, commit):
    make_lead(tenants.a1, email="Same@Example.com")
    make_lead(tenants.a1, email="same@example.com")
    with commit():
        result = _send(writer, campaign).json()["data"]
    assert (result["matched"], result["created"]) == (1, 1)
    assert len(sendgrid_a.accepted) == 1


def test_filters_choose_the_leads(writer, campaign, tenants, sendgrid_a, commit):
    make_lead(tenants.a1, email="qualified@example.com", status=ConversationStatus.QUALIFIED, is_qualified=True)
    make_lead(tenants.a1, email="active@example.com", status=ConversationStatus.ACTIVE)
    make_lead(tenants.a1, email="closed@example.com", status=ConversationStatus.CLOSED, is_qualified=True)

    with commit():
        result = _send(writer, campaign, conversation_status=["qualified", "active"], is_qualified=True).json()["data"]

    assert (result["matched"], result["created"]) == (1, 1)
    assert [m["personalizations"][0]["to"][0]["email"] for m in sendgrid_a.accepted] == ["qualified@example.com"]


def test_a_dry_run_counts_and_creates_nothing(writer, campaign, tenants, sendgrid_a):
    make_lead(tenants.a1, email="a@example.com")
    result = _send(writer, campaign, dry_run=True).json()["data"]
    assert (result["matched"], result["created"], result["dry_run"]) == (1, 1, True)
    assert not EmailDraft.objects.exists() and sendgrid_a.requests == []


def test_unsubscribed_leads_are_left_out(writer, campaign, tenants, sendgrid_a, commit):
    make_lead(tenants.a1, email="stay@example.com")
    make_lead(tenants.a1, email="gone@example.com")
    EmailUnsubscribe.objects.create(company=tenants.company_a, email="GONE@example.com")

    with commit():
        result = _send(writer, campaign).json()["data"]

    assert (result["created"], result["unsubscribed"]) == (1, 1)
    assert sendgrid_a.accepted_to("gone@example.com") == []


def test_a_lead_who_unsubscribes_before_a_scheduled_copy_goes_out_is_not_sent_it(writer, campaign, tenants, sendgrid_a):
    make_lead(tenants.a1, email="later@example.com")
    when = (timezone.now() + timedelta(hours=1)).isoformat()
    result = _send(writer, campaign, scheduled_for=when).json()["data"]
    assert result["created"] == 1
    EmailUnsubscribe.objects.create(company=tenants.company_a, email="later@example.com")
    EmailDraft.objects.update(scheduled_for=timezone.now())

    tasks.dispatch_due_emails()

    copy = EmailDraft.objects.get(campaign=campaign)
    assert copy.status == EmailStatus.FAILED and "unsubscribed" in copy.failure_reason
    assert sendgrid_a.requests == []


def test_every_copy_carries_a_working_unsubscribe_link(writer, campaign, tenants, sendgrid_a, commit, client):
    make_lead(tenants.a1, email="reader@example.com")
    with commit():
        _send(writer, campaign)

    [message] = sendgrid_a.accepted
    assert message["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    one_click = message["headers"]["List-Unsubscribe"].strip("<>")
    token = one_click.rsplit("/", 1)[1]
    page = re.search(r"Unsubscribe: (\S+)", message["content"][0]["value"]).group(1)
    assert page.endswith(f"/unsubscribe/{token}") and f'href="{page}"' in message["content"][1]["value"]

    response = client.post(
        urlsplit(one_click).path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200
    assert EmailUnsubscribe.objects.filter(company=tenants.company_a, email="reader@example.com").exists()


def test_a_campaign_for_later_waits_for_its_time(writer, campaign, tenants, sendgrid_a, commit):
    make_lead(tenants.a1, email="wait@example.com")
    with commit():
        _send(writer, campaign, scheduled_for=(timezone.now() + timedelta(days=1)).isoformat())
    assert sendgrid_a.requests == []
    assert tasks.dispatch_due_emails() == 0


def test_a_campaign_needing_a_tour_skips_leads_without_one(writer, tenants, sendgrid_a, commit):
    campaign = EmailCampaignFactory(property=tenants.a1, template_content="See you {{ tour_datetime }}!")
    _, with_tour = make_lead(tenants.a1, email="touring@example.com")
    make_lead(tenants.a1, email="browsing@example.com")
    start = (timezone.now() + timedelta(days=2)).replace(hour=15, minute=0, second=0, microsecond=0)
    Tour.objects.create(
        property=tenants.a1,
        conversation=with_tour,
        prospect_name="Jamie",
        tour_datetime=start,
        ends_at=start + timedelta(minutes=30),
        duration_minutes=30,
        tour_type=TourType.SELF_GUIDED,
        seat=1,
    )

    with commit():
        result = _send(writer, campaign).json()["data"]

    assert (result["created"], result["missing_values"]) == (1, 1)
    [message] = sendgrid_a.accepted
    assert re.match(r"See you \w+day, \w+ \d+ at \d+:00 [AP]M C[DS]T!", message["content"][0]["value"])


def test_scheduled_for_in_the_past_is_a_400(writer, campaign):
    response = _send(writer, campaign, scheduled_for="2020-01-01T00:00:00Z")
    assert response.status_code == 400


def test_deleting_a_campaign_drops_unsent_copies_and_keeps_sent_ones(writer, campaign, tenants, sendgrid_a, commit):
    make_lead(tenants.a1, email="got-it@example.com")
    with commit():
        _send(writer, campaign)
    make_lead(tenants.a1, email="not-yet@example.com")
    _send(writer, campaign, scheduled_for=(timezone.now() + timedelta(hours=3)).isoformat())

    assert writer.delete(f"/api/email/campaigns/{campaign.pk}").status_code == 200

    assert list(EmailDraft.objects.values_list("lead__email", "status")) == [("got-it@example.com", "sent")]
    assert writer.get(f"/api/email/campaigns/{campaign.pk}").status_code == 404
    assert EmailCampaign.all_objects.get(pk=campaign.pk).deleted_at is not None
