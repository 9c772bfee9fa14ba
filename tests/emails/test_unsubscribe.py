"""The signed unsubscribe link: GET tells and changes nothing, POST unsubscribes, RFC 8058
one-click form posts work, and links we did not sign are refused."""

import pytest

from emails import services
from emails.models import EmailUnsubscribe, UnsubscribeSource

pytestmark = pytest.mark.django_db


@pytest.fixture
def route(tenants):
    token = services.unsubscribe_token(company_id=tenants.company_a.pk, email="Jamie@Example.com")
    return f"/api/email/unsubscribe/{token}"


def test_the_leads_page_link_carries_the_token_of_the_api_route(tenants, settings, route):
    settings.EMAIL_UNSUBSCRIBE_URL = "https://app.example.test/unsubscribe/{token}"
    url = services.unsubscribe_url(company_id=tenants.company_a.pk, email="jamie@example.com")
    assert url == "https://app.example.test/unsubscribe/" + route.rsplit("/", 1)[1]


def test_reading_the_link_changes_nothing(api_client, route):
    response = api_client.get(route)
    assert response.status_code == 200
    assert response.json()["data"] == {
        "company_name": "Alpha Living",
        "email": "jamie@example.com",
        "unsubscribed": False,
    }
    assert not EmailUnsubscribe.objects.exists()


def test_posting_unsubscribes_the_address_for_the_company(api_client, route, tenants):
    response = api_client.post(route, {}, format="json")
    assert response.status_code == 200 and response.json()["data"]["unsubscribed"] is True
    unsubscribe = EmailUnsubscribe.objects.get()
    assert (unsubscribe.company, unsubscribe.email, unsubscribe.source) == (
        tenants.company_a,
        "jamie@example.com",
        UnsubscribeSource.LINK,
    )
    assert api_client.get(route).json()["data"]["unsubscribed"] is True


def test_one_click_from_a_mail_client_unsubscribes_once(client, route):
    for _ in range(2):
        response = client.post(route, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
        assert response.status_code == 200
    assert list(EmailUnsubscribe.objects.values_list("source", flat=True)) == [UnsubscribeSource.ONE_CLICK]


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_link_is_refused(api_client, route, method):
    token = route.rsplit("/", 1)[1]
    tampered = route.replace(token, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
    response = getattr(api_client, method)(tampered)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert not EmailUnsubscribe.objects.exists()


def test_a_link_for_another_company_only_unsubscribes_there(api_client, tenants):
    token = services.unsubscribe_token(company_id=tenants.company_b.pk, email="jamie@example.com")
    api_client.post(f"/api/email/unsubscribe/{token}")
    assert list(EmailUnsubscribe.objects.values_list("company", flat=True)) == [tenants.company_b.pk]
