import copy
import os
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from properties.models import AccessLevel, StaffRole
from tests.factories import (
    AssignmentFactory,
    CompanyFactory,
    PropertyFactory,
    PropertyManagerFactory,
    UserFactory,
)


@pytest.fixture(scope="session", autouse=True)
def _own_key_space():
    """Each xdist worker gets its own cache and channel-layer keys in the shared Redis, so one
    worker clearing its cache (throttle counters) never disturbs another."""
    prefix = f"test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = prefix
    layers = copy.deepcopy(settings.CHANNEL_LAYERS)
    if "CONFIG" in layers["default"]:
        layers["default"]["CONFIG"]["prefix"] = prefix
    # Real password hashing costs ~0.3 s per user; the tests create many.
    fast_hashers = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with override_settings(CACHES=caches, CHANNEL_LAYERS=layers, PASSWORD_HASHERS=fast_hashers):
        yield


@pytest.fixture(scope="session", autouse=True)
def _eager_celery():
    """Tasks run inside the test that enqueues them, whatever broker the environment names."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _fresh_cache():
    if hasattr(cache, "delete_pattern"):
        cache.delete_pattern("*")
    else:
        cache.clear()
    yield


@pytest.fixture
def api_client():
    return APIClient()


def client_for(user) -> APIClient:
    """An API client signed in as `user` with a real access token."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client


def make_staff(company, *, role=StaffRole.PROPERTY_MANAGER, access_level=AccessLevel.WRITE, properties=()):
    manager = PropertyManagerFactory(company=company, role=role, access_level=access_level)
    for property_ in properties:
        AssignmentFactory(property_manager=manager, property=property_)
    return manager


@dataclass
class Tenants:
    """Two companies and every kind of caller: the role/tenancy matrix of the test modules.

    Company A has properties a1 and a2; `manager_write` and `manager_read` are assigned to a1 only.
    Company B (the outsider) has property b1 and its own admin.
    """

    company_a: object
    company_b: object
    a1: object
    a2: object
    b1: object
    platform: object
    admin_a: object
    manager_write: object
    manager_read: object
    admin_b: object


@pytest.fixture
def tenants(db) -> Tenants:
    company_a, company_b = CompanyFactory(name="Alpha Living"), CompanyFactory(name="Beta Homes")
    a1, a2 = PropertyFactory(company=company_a, name="A One"), PropertyFactory(company=company_a, name="A Two")
    b1 = PropertyFactory(company=company_b, name="B One")
    return Tenants(
        company_a=company_a,
        company_b=company_b,
        a1=a1,
        a2=a2,
        b1=b1,
        platform=UserFactory(is_superuser=True),
        admin_a=make_staff(company_a, role=StaffRole.COMPANY_ADMIN),
        manager_write=make_staff(company_a, access_level=AccessLevel.WRITE, properties=[a1]),
        manager_read=make_staff(company_a, access_level=AccessLevel.READ, properties=[a1]),
        admin_b=make_staff(company_b, role=StaffRole.COMPANY_ADMIN),
    )
