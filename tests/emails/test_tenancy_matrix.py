"""Each role of company A, and company B's admin, against company A's emails on every route.
Expected statuses per role, in this order:

    platform staff, admin of A, manager of a1 (write), manager of a1 (read), admin of B (outsider)

Company B's admin never gets anything but 400/403/404 for company A's records, and never sees them.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import client_for
from tests.emails.conftest import make_lead
from tests.emails.factories import EmailCampaignFactory, EmailDraftFactory, EmailTemplateFactory
from tests.test_tenancy_matrix import ROLES, _fill, _user

LATER = (timezone.now() + timedelta(days=2)).isoformat()
TEMPLATE = {"name": "T", "subject": "Hello {{ first_name }}", "content": "Hi"}
CAMPAIGN = {"title": "Spring", "template_content": "Hi {{ first_name }}"}

CASES = [
    ("get", "/api/email/drafts/{draft_a1}", None, [200, 200, 200, 200, 404]),
    ("get", "/api/email/drafts/{draft_a2}", None, [200, 200, 404, 404, 404]),
    (
        "post",
        "/api/email/drafts",
        {"lead_id": "{lead_a1}", "conversation_id": "{conversation_a1}", "subject": "Hi", "content": "Hello"},
        [201, 201, 201, 403, 400],
    ),
    (
        "post",
        "/api/email/drafts",
        {"lead_id": "{lead_a2}", "conversation_id": "{conversation_a2}", "subject": "Hi", "content": "Hello"},
        [201, 201, 400, 403, 400],
    ),
    ("put", "/api/email/drafts/{draft_a1}", {"subject": "S", "content": "C"}, [200, 200, 200, 403, 404]),
    ("patch", "/api/email/drafts/{draft_a1}", {"priority": "high"}, [200, 200, 200, 403, 404]),
    ("patch", "/api/email/drafts/{draft_a2}", {"priority": "high"}, [200, 200, 404, 403, 404]),
    ("delete", "/api/email/drafts/{draft_a1}", None, [200, 200, 200, 403, 404]),
    ("get", "/api/email/drafts/{draft_a1}/deliveries", None, [200, 200, 200, 200, 404]),
    ("post", "/api/email/send/{draft_a1}", None, [200, 200, 200, 403, 404]),
    ("post", "/api/email/send/{draft_a2}", None, [200, 200, 404, 403, 404]),
    ("post", "/api/email/schedule/{draft_a1}", {"scheduled_for": LATER}, [200, 200, 200, 403, 404]),
    ("post", "/api/email/send-test", {"draft_id": "{draft_a1}"}, [200, 200, 200, 403, 400]),
    ("post", "/api/email/send-test", {"template_id": "{template_company}"}, [200, 200, 200, 403, 400]),
    ("get", "/api/email/templates/{template_company}", None, [200, 200, 200, 200, 404]),
    ("get", "/api/email/templates/{template_a2}", None, [200, 200, 404, 404, 404]),
    ("get", "/api/email/templates/placeholders", None, [200, 200, 200, 200, 200]),
    ("post", "/api/email/templates", {**TEMPLATE, "property_id": "{a1}"}, [201, 201, 201, 403, 400]),
    ("post", "/api/email/templates", {**TEMPLATE, "company_id": "{company_a}"}, [201, 201, 403, 403, 400]),
    ("put", "/api/email/templates/{template_a1}", TEMPLATE, [200, 200, 200, 403, 404]),
    ("put", "/api/email/templates/{template_company}", TEMPLATE, [200, 200, 403, 403, 404]),
    ("patch", "/api/email/templates/{template_a1}", {"name": "N"}, [200, 200, 200, 403, 404]),
    ("delete", "/api/email/templates/{template_a1}", None, [200, 200, 200, 403, 404]),
    ("get", "/api/email/campaigns/{campaign_a1}", None, [200, 200, 200, 200, 404]),
    ("get", "/api/email/campaigns/{campaign_a2}", None, [200, 200, 404, 404, 404]),
    ("post", "/api/email/campaigns", {**CAMPAIGN, "property_id": "{a1}"}, [201, 201, 201, 403, 404]),
    ("post", "/api/email/campaigns", {**CAMPAIGN, "property_id": "{a2}"}, [201, 201, 404, 403, 404]),
    ("put", "/api/email/campaigns/{campaign_a1}", CAMPAIGN, [200, 200, 200, 403, 404]),
    ("patch", "/api/email/campaigns/{campaign_a1}", {"title": "New"}, [200, 200, 200, 403, 404]),
    ("delete", "/api/email/campaigns/{campaign_a1}", None, [200, 200, 200, 403, 404]),
    ("post", "/api/email/campaigns/{campaign_a1}/send", {"dry_run": True}, [200, 200, 200, 403, 404]),
    ("post", "/api/test/email-sending", {"company_id": "{company_a}"}, [200, 200, 403, 403, 404]),
    ("post", "/api/test/email-sending", {}, [400, 200, 403, 403, 200]),
]


@pytest.fixture
def ids(tenants):
    lead_a1, conversation_a1 = make_lead(tenants.a1)
    lead_a2, conversation_a2 = make_lead(tenants.a2)
    return {
        "a1": tenants.a1.pk,
        "a2": tenants.a2.pk,
        "company_a": tenants.company_a.pk,
        "lead_a1": lead_a1.pk,
        "conversation_a1": conversation_a1.pk,
        "lead_a2": lead_a2.pk,
        "conversation_a2": conversation_a2.pk,
        "draft_a1": EmailDraftFactory(conversation=conversation_a1).pk,
        "draft_a2": EmailDraftFactory(conversation=conversation_a2).pk,
        "template_company": EmailTemplateFactory(company=tenants.company_a, property=None).pk,
        "template_a1": EmailTemplateFactory(property=tenants.a1).pk,
        "template_a2": EmailTemplateFactory(property=tenants.a2).pk,
        "campaign_a1": EmailCampaignFactory(property=tenants.a1).pk,
        "campaign_a2": EmailCampaignFactory(property=tenants.a2).pk,
    }


@pytest.mark.parametrize(
    ("method", "path", "body", "role", "expected"),
    [
        pytest.param(method, path, body, role, statuses[i], id=f"{method.upper()} {path} as {role}")
        for method, path, body, statuses in CASES
        for i, role in enumerate(ROLES)
    ],
)
def test_role_and_tenancy_matrix(tenants, ids, method, path, body, role, expected):
    response = getattr(client_for(_user(tenants, role)), method)(_fill(path, ids), _fill(body, ids), format="json")
    payload = response.json()
    assert response.status_code == expected, payload
    if expected >= 400:
        assert payload["success"] is False and payload["data"] is None
        assert (
            payload["error"]["code"]
            in {
                400: {"VALIDATION_ERROR", "MISSING_REQUIRED_FIELD"},
                403: {"INSUFFICIENT_PERMISSIONS", "FORBIDDEN"},
                404: {"RECORD_NOT_FOUND"},
            }[expected]
        )
    if role == "admin_b":
        assert "Alpha Living" not in response.content.decode()
        assert "Following up" not in response.content.decode()


LISTS = ["/api/email/drafts", "/api/email/templates", "/api/email/campaigns"]


@pytest.mark.parametrize(
    ("role", "visible"),
    [
        ("platform", {"a1", "a2", "company", "b1"}),
        ("admin_a", {"a1", "a2", "company"}),
        ("manager_write", {"a1", "company"}),
        ("manager_read", {"a1", "company"}),
        ("admin_b", {"b1"}),
    ],
)
def test_lists_show_only_what_the_role_may_see(tenants, role, visible):
    for where, property_ in (("a1", tenants.a1), ("a2", tenants.a2), ("b1", tenants.b1)):
        _, conversation = make_lead(property_)
        EmailDraftFactory(conversation=conversation, subject=where)
        EmailTemplateFactory(property=property_, name=where)
        EmailCampaignFactory(property=property_, title=where)
    EmailTemplateFactory(company=tenants.company_a, property=None, name="company")
    client = client_for(_user(tenants, role))

    drafts = {d["subject"] for d in client.get(LISTS[0]).json()["data"]}
    templates = {t["name"] for t in client.get(LISTS[1]).json()["data"]}
    campaigns = {c["title"] for c in client.get(LISTS[2]).json()["data"]}

    assert drafts == visible - {"company"}
    assert templates == visible
    assert campaigns == visible - {"company"}


def test_unauthenticated_callers_get_401_everywhere(api_client, db):
    for path in LISTS:
        assert api_client.get(path).status_code == 401
    assert api_client.post("/api/test/email-sending", {}, format="json").status_code == 401
