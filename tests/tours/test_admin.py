"""Tours and calendars in the admin: registered, scoped by tenancy, writes through the services."""

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.test_admin import admin_client
from tests.tours.conftest import local_slot, make_tour
from tours.models import BusyInterval, CalendarIntegration, Tour, TourHold, TourNotification, TourSettings, TourStatus

pytestmark = pytest.mark.django_db
MODELS = (Tour, TourSettings, TourHold, TourNotification, CalendarIntegration, BusyInterval)


def test_every_tours_model_is_registered():
    for model in MODELS:
        assert model in admin.site._registry


@pytest.fixture
def rows(tenants, tour_settings, fake_ical):
    tour = make_tour(
        tenants.a1, tenants.manager_write, local_slot(tenants.a1, days=2, hour=10), prospect_name="Alpha Prospect"
    )
    theirs = make_tour(
        tenants.b1,
        None,
        local_slot(tenants.a1, days=2, hour=10),
        prospect_name="Beta Prospect",
        tour_type="self_guided",
        seat=1,
    )
    integration = CalendarIntegration.objects.create(
        property=tenants.a1,
        property_manager=tenants.manager_write,
        provider="ical",
        ical_url=fake_ical.publish("/a.ics", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"),
    )
    return tour, theirs, integration


def test_platform_staff_open_every_tours_changelist_and_change_form(tenants, rows):
    client = admin_client(tenants.platform)
    for model in MODELS:
        url = reverse(f"admin:tours_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url
    for obj in (rows[0], rows[2], tour_settings_of(tenants)):
        url = reverse(f"admin:tours_{obj._meta.model_name}_change", args=[obj.pk])
        assert client.get(url).status_code == 200, url


def tour_settings_of(tenants):
    return TourSettings.objects.get(property=tenants.a1)


def test_company_staff_see_only_their_companys_tours(tenants, rows):
    page = admin_client(tenants.admin_a.user).get(reverse("admin:tours_tour_changelist")).content.decode()
    assert "Alpha Prospect" in page and "Beta Prospect" not in page


def test_the_cancel_action_goes_through_the_service(tenants, rows):
    tour = rows[0]
    response = admin_client(tenants.manager_write.user).post(
        reverse("admin:tours_tour_changelist"), {"action": "cancel_tours", "_selected_action": [tour.pk]}
    )
    assert response.status_code == 302
    tour.refresh_from_db()
    assert tour.status == TourStatus.CANCELLED and tour.cancelled_at is not None


def test_a_read_only_manager_cannot_act_on_tours(tenants, rows):
    tour = rows[0]
    client = admin_client(tenants.manager_read.user)
    client.post(reverse("admin:tours_tour_changelist"), {"action": "cancel_tours", "_selected_action": [tour.pk]})
    tour.refresh_from_db()
    assert tour.status == TourStatus.SCHEDULED


def test_the_action_skips_tours_of_a_property_the_manager_only_reads(tenants, rows):
    from properties.models import PropertyManagerAssignment

    PropertyManagerAssignment.objects.create(
        property_manager=tenants.manager_write, property=tenants.a2, access_level="read"
    )
    theirs = make_tour(tenants.a2, tenants.manager_read, local_slot(tenants.a1, days=3, hour=10))
    admin_client(tenants.manager_write.user).post(
        reverse("admin:tours_tour_changelist"), {"action": "cancel_tours", "_selected_action": [rows[0].pk, theirs.pk]}
    )
    rows[0].refresh_from_db()
    theirs.refresh_from_db()
    assert rows[0].status == TourStatus.CANCELLED and theirs.status == TourStatus.SCHEDULED


def test_the_admin_does_not_show_calendar_secrets(tenants, rows):
    page = admin_client(tenants.admin_a.user).get(reverse("admin:tours_calendarintegration_change", args=[rows[2].pk]))
    assert page.status_code == 200 and "/a.ics" not in page.content.decode()
