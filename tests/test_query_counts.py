"""Every list route of the foundation: the number of queries does not grow with the page."""

import pytest

from tests.conftest import client_for, make_staff
from tests.factories import AssignmentFactory, CompanyFactory, PropertyFactory, UserFactory

MAX_QUERIES = {
    # auth user + (manager assignments) + page (+ count when the page is full) + prefetches
    "/api/companies": 4,
    "/api/properties": 4,
    "/api/property-managers": 6,
    "/api/properties/{property}/managers": 6,
    "/api/property-managers/{manager}/assignments": 6,
}


def _seed(rows):
    company = CompanyFactory()
    properties = [PropertyFactory(company=company) for _ in range(rows)]
    managers = [make_staff(company, properties=properties[:3]) for _ in range(rows)]
    for property_ in properties[3:]:
        AssignmentFactory(property_manager=managers[0], property=property_)
    for _ in range(rows - 1):
        CompanyFactory()
    return properties[0], managers[0]


@pytest.mark.parametrize("rows", [1, 25])
@pytest.mark.parametrize("route", list(MAX_QUERIES))
@pytest.mark.parametrize("caller", ["platform", "manager"])
def test_list_query_count_is_bounded(db, django_assert_max_num_queries, rows, route, caller):
    property_, manager = _seed(rows)
    user = UserFactory(is_superuser=True) if caller == "platform" else manager.user
    client = client_for(user)
    url = route.format(property=property_.pk, manager=manager.pk) + "?limit=20"
    with django_assert_max_num_queries(MAX_QUERIES[route]):
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.json()["data"]) == min(rows, 20) or (route == "/api/companies" and caller == "manager")
