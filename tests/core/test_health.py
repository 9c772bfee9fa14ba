from unittest import mock

from django.db import OperationalError

from core import health


def test_health_reports_every_spec_check_with_latency(api_client, db):
    response = api_client.get("/api/health")
    data = response.json()["data"]
    assert response.status_code == 200
    assert data["status"] == "healthy"
    assert {"database", "resman", "email", "analytics"} <= set(data["checks"])
    assert data["checks"]["database"]["status"] == "healthy"
    assert data["checks"]["database"]["latency_ms"] >= 0
    assert data["version"] and data["timestamp"]


def test_health_needs_no_credentials_and_shows_no_secrets(api_client, tenants):
    tenants.company_a.resman_api_key = "super-secret-resman-key"
    tenants.company_a.save()
    body = api_client.get("/api/health/external-services").content.decode()
    assert "super-secret" not in body


def test_database_check_alone(api_client, db):
    data = api_client.get("/api/health/database").json()["data"]
    assert set(data["checks"]) == {"database"}


def test_resman_check_alone(api_client, db):
    data = api_client.get("/api/health/resman").json()["data"]
    assert set(data["checks"]) == {"resman"}


def test_external_services_exclude_the_database(api_client, db):
    data = api_client.get("/api/health/external-services").json()["data"]
    assert "database" not in data["checks"]
    assert "email" in data["checks"]


def test_a_failing_database_makes_the_service_unhealthy(api_client, db):
    def broken():
        raise OperationalError("connection refused")

    with mock.patch.dict(health._checks, {"database": broken}):
        response = api_client.get("/api/health")
    body = response.json()
    assert response.status_code == 503
    assert body["success"] is False
    assert body["error"]["code"] == "DATABASE_ERROR"
    assert body["data"]["checks"]["database"]["status"] == "unhealthy"
    assert "connection refused" not in response.content.decode()


def test_a_failing_optional_check_only_degrades(api_client, db):
    with mock.patch.dict(health._checks, {"email": lambda: {"status": "unhealthy", "message": "down"}}):
        response = api_client.get("/api/health")
    assert response.status_code == 200
    assert response.json()["data"]["status"] == "degraded"
