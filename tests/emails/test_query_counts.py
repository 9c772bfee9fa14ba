"""Lists and details of the emails app: the number of queries does not grow with the rows."""

import pytest

from emails.models import EmailDelivery, EmailStatus, Provider
from tests.conftest import client_for, make_staff
from tests.emails.conftest import make_lead
from tests.emails.factories import EmailCampaignFactory, EmailDraftFactory, EmailTemplateFactory
from tests.factories import CompanyFactory, PropertyFactory, UserFactory

# auth user + (a manager's assignments) + page (+ count when the page is full) + what the route adds
MAX_QUERIES = {
    "/api/email/drafts": 4,
    "/api/email/drafts/{draft}": 4,
    "/api/email/drafts/{draft}/deliveries": 5,
    "/api/email/templates": 4,
    "/api/email/templates/{template}": 3,
    "/api/email/campaigns": 4,
    "/api/email/campaigns/{campaign}": 3,
}


def _seed(rows):
    company = CompanyFactory()
    property_ = PropertyFactory(company=company)
    manager = make_staff(company, properties=[property_])
    drafts = []
    for n in range(rows):
        _, conversation = make_lead(property_)
        drafts.append(EmailDraftFactory(conversation=conversation, tags=["t"], status=EmailStatus.SENT))
        EmailTemplateFactory(property=property_)
        campaign = EmailCampaignFactory(property=property_)
        EmailDraftFactory(conversation=conversation, campaign=campaign, status=EmailStatus.SENT)
        EmailDelivery.objects.create(
            company=company, draft=drafts[0], attempt=n + 1, provider=Provider.SENDGRID, recipient="x@example.com"
        )
    return manager, {
        "draft": drafts[0].pk,
        "template": EmailTemplateFactory(property=property_).pk,
        "campaign": campaign.pk,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 25])
@pytest.mark.parametrize("route", list(MAX_QUERIES))
@pytest.mark.parametrize("caller", ["platform", "manager"])
def test_query_count_is_bounded(django_assert_max_num_queries, rows, route, caller):
    manager, ids = _seed(rows)
    user = UserFactory(is_superuser=True) if caller == "platform" else manager.user
    client = client_for(user)
    with django_assert_max_num_queries(MAX_QUERIES[route]):
        response = client.get(route.format(**ids) + "?limit=20")
    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    if isinstance(data, list):
        assert len(data) == min(rows * (2 if route == "/api/email/drafts" else 1) + ("templates" in route), 20)


@pytest.mark.django_db
def test_campaign_sent_count_comes_from_one_query_per_page(django_assert_max_num_queries):
    manager, _ = _seed(5)
    with django_assert_max_num_queries(MAX_QUERIES["/api/email/campaigns"]):
        rows = client_for(manager.user).get("/api/email/campaigns").json()["data"]
    assert [row["sent_count"] for row in rows] == [1] * 5
