import uuid

import pytest

from tests.conftest import client_for
from tests.emails.fakes import API_KEY, FakeSendGrid
from tests.factories import ConversationFactory, ProspectFactory


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """`with commit():` runs what the block queued for after commit (Celery tasks, events)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def sendgrid(settings):
    """The fake SendGrid on a free loopback port, with short timeouts and retry waits."""
    with FakeSendGrid() as fake:
        settings.SENDGRID_API_URL = fake.url
        settings.SENDGRID_TIMEOUT_SECONDS = 0.5
        settings.EMAIL_SEND_MAX_ATTEMPTS = 3
        settings.EMAIL_RETRY_BASE_SECONDS = 30
        yield fake


@pytest.fixture
def sendgrid_a(tenants, sendgrid):
    """Company A sends through the fake SendGrid; company B has no key (Django's email backend)."""
    tenants.company_a.sendgrid_api_key = API_KEY
    tenants.company_a.save()
    return sendgrid


def make_lead(property_, *, email=None, first_name="Jamie", last_name="Rivera", **conversation):
    """A prospect who chatted with `property_` (with an email unless given ""), and that conversation."""
    prospect = ProspectFactory(
        company=property_.company,
        first_name=first_name,
        last_name=last_name,
        email=email if email is not None else f"jamie.{uuid.uuid4().hex[:8]}@example.com",
    )
    conversation = ConversationFactory(property=property_, prospect=prospect, **conversation)
    return prospect, conversation


@pytest.fixture
def lead_a1(tenants):
    return make_lead(tenants.a1, email="jamie.rivera@example.com")


@pytest.fixture
def admin_a(tenants):
    return client_for(tenants.admin_a.user)


@pytest.fixture
def writer(tenants):
    return client_for(tenants.manager_write.user)
