"""Events: a booked tour (through the tours service) or captured contact details draft a follow-up
from the property's (or company's) template with that trigger; without one, nothing happens."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from core.events import publish
from emails.models import EmailDraft, EmailPriority, EmailStatus
from tests.emails.conftest import make_lead
from tests.emails.factories import EmailTemplateFactory
from tours import services as tours
from tours.models import TourType

pytestmark = pytest.mark.django_db


def _book(property_, conversation):
    start = (timezone.now() + timedelta(days=3)).replace(hour=16, minute=0, second=0, microsecond=0)
    return tours.tour_record(
        property=property_,
        start=start,
        tour_type=TourType.SELF_GUIDED,
        prospect_name="Jamie Rivera",
        conversation=conversation,
    )


def test_a_booked_tour_drafts_the_propertys_follow_up_with_the_tour_time(tenants, lead_a1, commit):
    EmailTemplateFactory(
        property=tenants.a1, trigger="tour_booked", subject="See you soon", content="Your tour: {{ tour_datetime }}"
    )
    EmailTemplateFactory(company=tenants.company_a, property=None, trigger="tour_booked", content="Company-wide")
    lead, conversation = lead_a1

    with commit():
        tour = _book(tenants.a1, conversation)

    draft = EmailDraft.objects.get()
    assert (draft.lead, draft.conversation, draft.status) == (lead, conversation, EmailStatus.DRAFT)
    assert draft.priority == EmailPriority.HIGH and draft.tags == ["tour_booked"]
    local = tour.tour_datetime.astimezone(ZoneInfo(tenants.a1.time_zone))
    assert draft.content == f"Your tour: {local:%A, %B %-d at %-I:%M %p %Z}"


def test_the_company_wide_template_serves_properties_without_their_own(tenants, commit):
    EmailTemplateFactory(company=tenants.company_a, property=None, trigger="tour_booked", content="Company-wide")
    _, conversation = make_lead(tenants.a2)
    with commit():
        _book(tenants.a2, conversation)
    assert EmailDraft.objects.get().content == "Company-wide"


def test_without_a_template_a_booked_tour_drafts_nothing(tenants, lead_a1, commit):
    with commit():
        _book(tenants.a1, lead_a1[1])
    assert not EmailDraft.objects.exists()


def test_the_same_event_delivered_twice_drafts_once(tenants, lead_a1, commit):
    EmailTemplateFactory(property=tenants.a1, trigger="tour_booked")
    with commit():
        tour = _book(tenants.a1, lead_a1[1])
    with commit():
        publish("tour.booked", tour_id=str(tour.pk), property_id=str(tenants.a1.pk), conversation_id=str(lead_a1[1].pk))
    assert EmailDraft.objects.count() == 1


def test_captured_contact_details_draft_a_welcome(tenants, lead_a1, commit):
    EmailTemplateFactory(property=tenants.a1, trigger="contact_captured", content="Hi {{ first_name }}!")
    lead, conversation = lead_a1
    with commit():
        publish(
            "lead.contact_captured",
            conversation_id=str(conversation.pk),
            prospect_id=str(lead.pk),
            property_id=str(tenants.a1.pk),
        )
    draft = EmailDraft.objects.get()
    assert draft.content == "Hi Jamie!" and draft.priority == EmailPriority.MEDIUM


def test_a_template_needing_what_the_event_lacks_drafts_nothing(tenants, lead_a1, commit):
    EmailTemplateFactory(property=tenants.a1, trigger="contact_captured", content="See you {{ tour_datetime }}")
    with commit():
        publish("lead.contact_captured", conversation_id=str(lead_a1[1].pk), prospect_id=None, property_id=None)
    assert not EmailDraft.objects.exists()
