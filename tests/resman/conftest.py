import uuid

import pytest

from resman.models import PropertyResManSettings
from resman.simulator import ACCOUNT_ID, API_KEY, PARTNER_ID, ResManSimulator
from tests.conftest import client_for
from tests.factories import ConversationFactory, ProspectFactory

A1_RESMAN_ID = "07413576-f764-44c6-be35-df4139deec01"
A2_RESMAN_ID = "11111111-2222-4333-8444-555555555555"
B1_RESMAN_ID = "99999999-8888-4777-8666-555555555555"


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """`with commit():` runs what the block queued for after commit (Celery tasks, events)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def simulator(settings):
    """The ResMan simulator on a free loopback port, with a1's, a2's and b1's properties."""
    with ResManSimulator() as sim:
        for property_id in (A1_RESMAN_ID, A2_RESMAN_ID, B1_RESMAN_ID):
            sim.add_property(property_id)
            sim.seed_marketing(property_id)
        settings.RESMAN_TIMEOUT_SECONDS = 1.0
        settings.RESMAN_READ_ATTEMPTS = 1
        settings.RESMAN_RETRY_BASE_SECONDS = 30
        settings.RESMAN_UNKNOWN_OUTCOME_SECONDS = 120
        yield sim


def connect(company, sim, **overrides):
    company.resman_base_url = sim.url
    company.resman_account_id = overrides.get("account_id", ACCOUNT_ID)
    company.resman_integration_partner_id = overrides.get("partner_id", PARTNER_ID)
    company.resman_api_key = overrides.get("api_key", API_KEY)
    company.save()


@pytest.fixture
def resman(tenants, simulator):
    """Company A and B linked to the simulator; a1, a2 and b1 have ResMan ids and defaults."""
    connect(tenants.company_a, simulator)
    connect(tenants.company_b, simulator)
    for property_, resman_id in ((tenants.a1, A1_RESMAN_ID), (tenants.a2, A2_RESMAN_ID), (tenants.b1, B1_RESMAN_ID)):
        property_.resman_property_id = resman_id
        property_.save()
        PropertyResManSettings.objects.create(
            property=property_, default_source_id="SRC-CHAT", default_agent_id="EMP-2", default_lost_reason_id="LR-1"
        )
    return simulator


def chat_lead(property_, *, email=None, phone="", first_name="Jamie", last_name="Rivera", **conversation):
    """A prospect who left contact details in the chat at `property_`, and their conversation."""
    prospect = ProspectFactory(
        company=property_.company,
        first_name=first_name,
        last_name=last_name,
        email=email if email is not None else f"jamie.{uuid.uuid4().hex[:8]}@example.com",
        phone=phone,
        lead_source="chat",
    )
    ConversationFactory(property=property_, prospect=prospect, source="chat", **conversation)
    return prospect


@pytest.fixture
def client_a_admin(tenants):
    return client_for(tenants.admin_a.user)
