import yaml
from django.core.management import call_command


def test_schema_generates_without_warnings_and_validates(tmp_path, db):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(target), "--validate", "--fail-on-warn")
    schema = yaml.safe_load(target.read_text())
    listing = schema["paths"]["/api/properties"]["get"]["responses"]
    assert listing["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PaginatedPropertyList"
    }
    paginated = schema["components"]["schemas"]["PaginatedPropertyList"]["properties"]
    assert paginated["data"]["items"] == {"$ref": "#/components/schemas/Property"}
    assert paginated["meta"] == {"$ref": "#/components/schemas/PaginatedResponseMeta"}
    detail = schema["paths"]["/api/properties/{id}"]["get"]["responses"]
    assert detail["200"]["content"]["application/json"]["schema"]["properties"]["data"] == {
        "$ref": "#/components/schemas/Property"
    }
    assert detail["404"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorEnvelope"}
    assert "RECORD_NOT_FOUND" in schema["components"]["schemas"]["ApiError"]["properties"]["code"]["enum"]


def test_request_bodies_are_described(db, tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    login = schema["paths"]["/api/auth/login"]["post"]
    ref = login["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][ref]["required"]) == {"email", "password"}


def test_schema_endpoint_serves_openapi(api_client, db):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


def test_docs_pages_use_local_assets_only(api_client, db):
    for url in ("/api/docs/", "/api/redoc/"):
        html = api_client.get(url).content.decode()
        assert "drf_spectacular_sidecar" in html
        assert "cdn.jsdelivr" not in html and "unpkg.com" not in html
