import pytest

from properties.models import Property
from tests.conftest import client_for
from tests.factories import PropertyFactory


def test_property_has_every_spec_field(tenants):
    data = client_for(tenants.admin_a.user).get(f"/api/properties/{tenants.a1.pk}").json()["data"]
    spec_fields = {
        "id", "company_id", "name", "address", "city", "state", "zip_code", "property_type", "units_count",
        "amenities", "features", "website_url", "hubspot_property_id", "chatbot_avatar_url", "chatbot_is_active",
        "chatbot_welcome_message", "chatbot_embed_code", "chatbot_widget_settings", "chatbot_theme_color",
        "chatbot_position", "chatbot_auto_open", "chatbot_business_hours",
    }  # fmt: skip
    assert spec_fields <= set(data)
    assert data["time_zone"] == "America/Chicago"


def test_create_property_with_full_details(tenants):
    body = {
        "name": "Cedar Flats",
        "address": "5 Cedar Lane",
        "city": "Denver",
        "state": "CO",
        "zip_code": "80202",
        "units_count": 80,
        "amenities": ["Pool"],
        "features": {"parking": "garage"},
        "time_zone": "America/Denver",
        "resman_property_id": "07413576-f764-44c6-be35-df4139deec01",
        "chatbot_theme_color": "#ff8800",
        "chatbot_business_hours": {"monday": [{"open": "09:00", "close": "17:00"}]},
    }
    response = client_for(tenants.admin_a.user).post("/api/properties", body, format="json")
    data = response.json()["data"]
    assert response.status_code == 201
    assert data["chatbot_theme_color"] == "#FF8800"
    assert data["widget_key"].startswith("wk_")
    assert Property.objects.get(pk=data["id"]).resman_property_id == body["resman_property_id"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("time_zone", "Mars/Olympus_Mons"),
        ("chatbot_theme_color", "blue"),
        ("chatbot_business_hours", {"funday": []}),
        ("chatbot_business_hours", {"monday": [{"open": "18:00", "close": "09:00"}]}),
        ("chatbot_business_hours", {"monday": [{"open": "9am", "close": "5pm"}]}),
        ("chatbot_business_hours", ["monday"]),
        ("chatbot_widget_settings", "dark"),
        ("amenities", 42),
        ("units_count", -5),
        ("website_url", "not a url"),
        ("name", "x" * 300),
        ("name", "nul\x00byte"),
    ],
)
def test_bad_property_values_are_refused_without_a_write(tenants, field, value):
    before = Property.objects.get(pk=tenants.a1.pk)
    response = client_for(tenants.admin_a.user).patch(f"/api/properties/{tenants.a1.pk}", {field: value}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert field in response.json()["error"]["details"]
    after = Property.objects.get(pk=tenants.a1.pk)
    assert after.updated_at == before.updated_at


def test_chatbot_settings_round_trip(tenants):
    client = client_for(tenants.manager_write.user)
    url = f"/api/properties/{tenants.a1.pk}/chatbot"
    body = {
        "chatbot_is_active": True,
        "chatbot_welcome_message": "Hello!",
        "chatbot_avatar_url": "https://cdn.test/avatar.png",
        "chatbot_widget_settings": {"greeting_delay_ms": 500},
        "chatbot_theme_color": "#123456",
        "chatbot_position": "bottom-left",
        "chatbot_auto_open": True,
        "chatbot_business_hours": {"saturday": [{"open": "10:00", "close": "14:00"}]},
    }
    assert client.put(url, body, format="json").status_code == 200
    data = client.get(url).json()["data"]
    assert {key: data[key] for key in body} == body
    assert data["widget_key"] in data["chatbot_embed_code"]


def test_embed_code_names_the_widget_key_and_script(tenants, settings):
    settings.PUBLIC_BASE_URL = "https://chat.example.com"
    data = client_for(tenants.manager_read.user).get(f"/api/properties/{tenants.a1.pk}/embed-code").json()["data"]
    assert data["widget_key"] == tenants.a1.widget_key
    assert data["script_url"] == "https://chat.example.com/widget/widget.js"
    assert data["embed_code"].startswith('<script src="https://chat.example.com/widget/widget.js"')
    assert f'data-widget-key="{tenants.a1.widget_key}"' in data["embed_code"]


def test_widget_key_cannot_be_written(tenants):
    client_for(tenants.admin_a.user).patch(
        f"/api/properties/{tenants.a1.pk}", {"widget_key": "wk_chosen_by_me"}, format="json"
    )
    tenants.a1.refresh_from_db()
    assert tenants.a1.widget_key != "wk_chosen_by_me"


def test_deleted_property_disappears_but_is_kept(tenants):
    client = client_for(tenants.admin_a.user)
    assert client.delete(f"/api/properties/{tenants.a1.pk}").status_code == 200
    assert client.get(f"/api/properties/{tenants.a1.pk}").status_code == 404
    assert Property.all_objects.filter(pk=tenants.a1.pk, deleted_at__isnull=False).exists()
    assert not tenants.a1.manager_assignments.exists()
    assert client_for(tenants.manager_write.user).get("/api/properties").json()["data"] == []


def test_property_list_is_ordered_by_name(tenants):
    PropertyFactory(company=tenants.company_a, name="AAA First")
    names = [p["name"] for p in client_for(tenants.admin_a.user).get("/api/properties").json()["data"]]
    assert names == ["A One", "A Two", "AAA First"]
