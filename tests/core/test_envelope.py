"""The spec's envelope on success and on every error class."""

import json
import uuid
from datetime import timedelta

import pytest
from rest_framework_simplejwt.tokens import AccessToken

from tests.conftest import client_for
from tests.factories import PropertyFactory


def assert_error(response, status, code):
    body = response.json()
    assert response.status_code == status, body
    assert body["success"] is False
    assert body["data"] is None
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert body["meta"]["requestId"] == response["X-Request-ID"]
    return body


def test_success_envelope_carries_data_and_meta(tenants):
    response = client_for(tenants.admin_a.user).get(f"/api/properties/{tenants.a1.pk}")
    body = response.json()
    assert response.status_code == 200
    assert body["success"] is True
    assert body["error"] is None
    assert body["data"]["id"] == str(tenants.a1.pk)
    assert body["meta"]["timestamp"].endswith("Z")
    assert body["meta"]["requestId"] == response["X-Request-ID"]


def test_list_has_pagination_meta(tenants):
    for _ in range(3):
        PropertyFactory(company=tenants.company_a)
    response = client_for(tenants.admin_a.user).get("/api/properties?page=2&limit=2")
    body = response.json()
    assert body["meta"]["pagination"] == {"page": 2, "limit": 2, "total": 5, "totalPages": 3}
    assert len(body["data"]) == 2


def test_limit_defaults_to_10_and_is_capped_at_100(tenants):
    client = client_for(tenants.admin_a.user)
    assert client.get("/api/properties").json()["meta"]["pagination"]["limit"] == 10
    assert client.get("/api/properties?limit=5000").json()["meta"]["pagination"]["limit"] == 100


def test_a_page_past_the_end_is_empty_with_the_true_total(tenants):
    body = client_for(tenants.admin_a.user).get("/api/properties?page=9").json()
    assert body["data"] == []
    assert body["meta"]["pagination"]["total"] == 2


@pytest.mark.parametrize("query", ["page=0", "page=abc", "limit=-1", "limit=x"])
def test_bad_paging_parameters_are_a_validation_error(tenants, query):
    assert_error(client_for(tenants.admin_a.user).get(f"/api/properties?{query}"), 400, "VALIDATION_ERROR")


def test_incoming_request_id_is_echoed(tenants):
    response = client_for(tenants.admin_a.user).get("/api/properties", HTTP_X_REQUEST_ID="trace-abc.123")
    assert response["X-Request-ID"] == "trace-abc.123"
    assert response.json()["meta"]["requestId"] == "trace-abc.123"


def test_unsafe_request_id_is_replaced(tenants):
    response = client_for(tenants.admin_a.user).get("/api/properties", HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert response["X-Request-ID"] != "bad id\nwith newline"
    uuid.UUID(response["X-Request-ID"])


def test_request_id_reaches_the_logs(tenants, caplog):
    caplog.set_level("INFO", logger="api.access")
    client_for(tenants.admin_a.user).get("/api/properties", HTTP_X_REQUEST_ID="log-me-42")
    assert any(getattr(record, "request_id", None) == "log-me-42" for record in caplog.records) or any(
        "log-me-42" in record.getMessage() or record.__dict__.get("request_id") == "log-me-42"
        for record in caplog.records
    )


def test_malformed_json_is_invalid_format(tenants):
    response = client_for(tenants.admin_a.user).post(
        "/api/properties", data="{not json", content_type="application/json"
    )
    assert_error(response, 400, "INVALID_FORMAT")


@pytest.mark.urls("tests.core.urls")
def test_json_nested_too_deeply_is_invalid_format(db, api_client):
    body = "[" * 100_000 + "]" * 100_000
    assert_error(
        api_client.post("/api/test-only/echo", data=body, content_type="application/json"), 400, "INVALID_FORMAT"
    )


def test_unsupported_media_type_is_invalid_format(tenants):
    response = client_for(tenants.admin_a.user).post("/api/properties", data="name=x", content_type="text/plain")
    assert_error(response, 415, "INVALID_FORMAT")


def test_missing_fields_are_named(tenants):
    body = assert_error(
        client_for(tenants.admin_a.user).post("/api/properties", {"name": "Only a name"}, format="json"),
        400,
        "MISSING_REQUIRED_FIELD",
    )
    assert set(body["error"]["details"]) >= {"address", "city", "state", "zip_code"}


def test_wrong_types_are_a_validation_error_with_field_details(tenants):
    body = assert_error(
        client_for(tenants.admin_a.user).patch(
            f"/api/properties/{tenants.a1.pk}", {"units_count": "many", "chatbot_auto_open": [1]}, format="json"
        ),
        400,
        "VALIDATION_ERROR",
    )
    assert set(body["error"]["details"]) == {"units_count", "chatbot_auto_open"}


def test_unknown_enum_value_is_a_validation_error(tenants):
    body = assert_error(
        client_for(tenants.admin_a.user).patch(
            f"/api/properties/{tenants.a1.pk}", {"chatbot_position": "top-middle"}, format="json"
        ),
        400,
        "VALIDATION_ERROR",
    )
    assert "chatbot_position" in body["error"]["details"]


def test_a_body_that_is_not_an_object_is_a_validation_error(tenants):
    response = client_for(tenants.admin_a.user).patch(f"/api/properties/{tenants.a1.pk}", [1, 2], format="json")
    assert_error(response, 400, "VALIDATION_ERROR")


def test_oversized_body_is_refused_before_it_is_read(tenants, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    payload = json.dumps({"name": "x" * 5000})
    response = client_for(tenants.admin_a.user).patch(
        f"/api/properties/{tenants.a1.pk}", data=payload, content_type="application/json"
    )
    assert_error(response, 413, "VALIDATION_ERROR")
    tenants.a1.refresh_from_db()
    assert tenants.a1.name == "A One"


def test_no_credentials_is_unauthorized(db, api_client):
    assert_error(api_client.get("/api/properties"), 401, "UNAUTHORIZED")


def test_garbage_token_is_invalid_token(db, api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not.a.jwt")
    assert_error(api_client.get("/api/properties"), 401, "INVALID_TOKEN")


def test_expired_token_is_token_expired(tenants, api_client):
    token = AccessToken.for_user(tenants.admin_a.user)
    token.set_exp(lifetime=-timedelta(seconds=1))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert_error(api_client.get("/api/properties"), 401, "TOKEN_EXPIRED")


def test_user_without_company_is_forbidden(db):
    from tests.factories import UserFactory

    assert_error(client_for(UserFactory()).get("/api/properties"), 403, "FORBIDDEN")


def test_read_only_manager_writing_is_insufficient_permissions(tenants):
    response = client_for(tenants.manager_read.user).patch(
        f"/api/properties/{tenants.a1.pk}", {"name": "Renamed"}, format="json"
    )
    assert_error(response, 403, "INSUFFICIENT_PERMISSIONS")


def test_unknown_route_is_not_found_in_the_envelope(db, api_client):
    assert_error(api_client.get("/api/no-such-thing"), 404, "RECORD_NOT_FOUND")


def test_malformed_id_is_not_found(tenants):
    assert_error(client_for(tenants.admin_a.user).get("/api/properties/not-a-uuid"), 404, "RECORD_NOT_FOUND")


def test_missing_record_is_not_found(tenants):
    response = client_for(tenants.admin_a.user).get(f"/api/properties/{uuid.uuid4()}")
    assert_error(response, 404, "RECORD_NOT_FOUND")


def test_wrong_method_is_method_not_allowed(tenants):
    response = client_for(tenants.admin_a.user).delete("/api/properties")
    assert_error(response, 405, "METHOD_NOT_ALLOWED")


def test_duplicate_is_a_conflict(tenants):
    response = client_for(tenants.admin_a.user).post(
        "/api/property-managers",
        {
            "first_name": "Dup",
            "last_name": "Licate",
            "email": tenants.manager_write.user.email.upper(),
            "access_level": "write",
        },
        format="json",
    )
    assert_error(response, 409, "DUPLICATE_RECORD")


def test_throttled_requests_get_429_with_retry_after(db, api_client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "auth": "2/15m"},
    }
    for _ in range(2):
        response = api_client.post("/api/auth/login", {"email": "a@b.test", "password": "x"}, format="json")
        assert response.status_code == 401
    assert response["RateLimit-Limit"] == "2"
    assert response["RateLimit-Remaining"] == "0"
    response = api_client.post("/api/auth/login", {"email": "a@b.test", "password": "x"}, format="json")
    assert_error(response, 429, "RATE_LIMIT_EXCEEDED")
    assert int(response["Retry-After"]) > 0


@pytest.mark.urls("tests.core.urls")
def test_unexpected_error_is_500_without_internals(db):
    from django.test import Client

    response = Client(raise_request_exception=False).get("/api/test-only/boom")
    body = assert_error(response, 500, "INTERNAL_ERROR")
    assert "hunter2" not in response.content.decode()
    assert "RuntimeError" not in json.dumps(body)
