from django.db import connection

from companies.models import Company
from core.testing.fake_http import FakeService, Reply
from tests.conftest import client_for
from tests.factories import CompanyFactory


class FakeOpenAI(FakeService):
    """Enough of OpenAI's API to test a key: GET /v1/models with a Bearer key."""

    valid_key = "sk-test-valid-0000000000001234"

    def route(self, request):
        if request.path != "/v1/models":
            return Reply(404, {"error": {"message": "Unknown path", "type": "invalid_request_error"}})
        if request.headers.get("authorization") != f"Bearer {self.valid_key}":
            return Reply(401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}})
        return Reply(200, {"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model"}]})


def test_secrets_are_encrypted_at_rest_and_masked_in_the_api(tenants):
    client = client_for(tenants.admin_a.user)
    response = client.patch(
        f"/api/companies/{tenants.company_a.pk}/integrations",
        {"sendgrid_api_key": "SG.very-secret-value-9876", "resman_api_key": "rm-key-abcd-4321"},
        format="json",
    )
    data = response.json()["data"]
    assert data["sendgrid_api_key"].endswith("9876")
    assert "very-secret" not in response.content.decode()
    assert data["configured"]["sendgrid"] is True
    pk = Company._meta.pk.get_db_prep_value(tenants.company_a.pk, connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT sendgrid_api_key, resman_api_key FROM companies_company WHERE id = %s", [pk])
        stored = cursor.fetchone()
    assert all(value.startswith("enc:") and "secret" not in value for value in stored)
    assert Company.objects.get(pk=tenants.company_a.pk).sendgrid_api_key == "SG.very-secret-value-9876"


def test_company_detail_masks_secrets_too(tenants):
    tenants.company_a.openai_api_key = "sk-live-abcdefgh1234"
    tenants.company_a.save()
    data = client_for(tenants.manager_read.user).get(f"/api/companies/{tenants.company_a.pk}").json()["data"]
    assert data["openai_api_key"] == "••••••••1234"


def test_sending_back_the_mask_keeps_the_secret(tenants):
    tenants.company_a.openai_api_key = "sk-live-abcdefgh1234"
    tenants.company_a.save()
    client = client_for(tenants.admin_a.user)
    read = client.get(f"/api/companies/{tenants.company_a.pk}/integrations").json()["data"]
    read.pop("configured")
    assert client.put(f"/api/companies/{tenants.company_a.pk}/integrations", read, format="json").status_code == 200
    tenants.company_a.refresh_from_db()
    assert tenants.company_a.openai_api_key == "sk-live-abcdefgh1234"


def test_null_clears_a_secret(tenants):
    tenants.company_a.openai_api_key = "sk-live-abcdefgh1234"
    tenants.company_a.save()
    client_for(tenants.admin_a.user).patch(
        f"/api/companies/{tenants.company_a.pk}/integrations", {"openai_api_key": None}, format="json"
    )
    tenants.company_a.refresh_from_db()
    assert tenants.company_a.openai_api_key == ""


def test_test_integration_checks_the_openai_key_over_http(tenants, settings):
    with FakeOpenAI() as fake:
        settings.OPENAI_API_URL = fake.url
        client = client_for(tenants.admin_a.user)
        url = f"/api/companies/{tenants.company_a.pk}/test-integration"

        not_set = client.post(url, {"integration": "openai"}, format="json").json()["data"]["results"][0]
        assert not_set["configured"] is False and not_set["ok"] is False

        tenants.company_a.openai_api_key = "sk-wrong"
        tenants.company_a.save()
        rejected = client.post(url, {"integration": "openai"}, format="json").json()["data"]["results"][0]
        assert rejected["ok"] is False and "Incorrect API key" in rejected["message"]

        tenants.company_a.openai_api_key = FakeOpenAI.valid_key
        tenants.company_a.save()
        accepted = client.post(url, {"integration": "openai"}, format="json").json()["data"]["results"][0]
        assert accepted["ok"] is True and accepted["latency_ms"] is not None

        fake.fail_next(1, status=503)
        down = client.post(url, {"integration": "openai"}, format="json").json()["data"]["results"][0]
        assert down["ok"] is False and "Unreachable" in down["message"]

        assert fake.requests[-1].headers["authorization"] == f"Bearer {FakeOpenAI.valid_key}"


def test_test_integration_survives_a_timeout(tenants, settings):
    with FakeOpenAI() as fake:
        fake.delay = 0.5
        settings.OPENAI_API_URL = fake.url
        settings.OUTBOUND_HTTP_TIMEOUT = 0.1
        tenants.company_a.openai_api_key = FakeOpenAI.valid_key
        tenants.company_a.save()
        response = client_for(tenants.admin_a.user).post(
            f"/api/companies/{tenants.company_a.pk}/test-integration", {"integration": "openai"}, format="json"
        )
    result = response.json()["data"]["results"][0]
    assert response.status_code == 200
    assert result["ok"] is False and "Timeout" in result["message"]


def test_test_integration_refuses_an_unknown_integration(tenants):
    response = client_for(tenants.admin_a.user).post(
        f"/api/companies/{tenants.company_a.pk}/test-integration", {"integration": "myspace"}, format="json"
    )
    assert response.status_code == 400
    assert "integration" in response.json()["error"]["details"]


def test_platform_staff_create_and_soft_delete_a_company(tenants):
    client = client_for(tenants.platform)
    created = client.post("/api/companies", {"name": "Gamma Group", "contact_email": "hi@gamma.test"}, format="json")
    assert created.status_code == 201
    company_id = created.json()["data"]["id"]
    assert client.delete(f"/api/companies/{company_id}").status_code == 200
    assert client.get(f"/api/companies/{company_id}").status_code == 404
    assert Company.all_objects.get(pk=company_id).deleted_at is not None


def test_deleting_a_company_keeps_its_properties_but_signs_its_staff_out(tenants):
    client_for(tenants.platform).delete(f"/api/companies/{tenants.company_a.pk}")
    tenants.a1.refresh_from_db()
    assert tenants.a1.deleted_at is not None
    tenants.admin_a.user.refresh_from_db()
    assert tenants.admin_a.user.is_active is False
    assert client_for(tenants.admin_a.user).get("/api/properties").status_code == 401
    assert client_for(tenants.admin_b.user).get("/api/properties").status_code == 200


def test_company_fields_are_validated(tenants):
    response = client_for(tenants.admin_a.user).patch(
        f"/api/companies/{tenants.company_a.pk}",
        {"contact_email": "not-an-email", "logo_url": "nope"},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"contact_email", "logo_url"}


def test_company_list_is_ordered_by_name(tenants):
    CompanyFactory(name="Aardvark Homes")
    names = [c["name"] for c in client_for(tenants.platform).get("/api/companies").json()["data"]]
    assert names == sorted(names)
