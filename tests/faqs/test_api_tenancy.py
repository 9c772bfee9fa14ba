"""Every FAQ, retrieval and task route against each role of company A and company B's admin.

Statuses per role, in this order: platform staff, admin of A, manager of a1 (write), manager of a1
(read), admin of B (the outsider). Company B's admin must never see anything of company A.
"""

import pytest

from faqs import services
from tests.conftest import client_for
from tests.factories import ConversationFactory
from tests.faqs.factories import TaskFactory, make_faq, make_pending, make_phrasing

ROLES = ["platform", "admin_a", "manager_write", "manager_read", "admin_b"]
FAQ_BODY = {"property_id": "{a1}", "question": "Is there a sauna?", "answer": "Yes, by the gym."}

CASES = [
    ("get", "/api/faqs", None, [200, 200, 200, 200, 200]),
    ("get", "/api/faqs/{faq_a1}", None, [200, 200, 200, 200, 404]),
    ("get", "/api/faqs/{faq_a2}", None, [200, 200, 404, 404, 404]),
    ("get", "/api/faqs/{shared_a}", None, [200, 200, 200, 200, 404]),
    ("post", "/api/faqs", FAQ_BODY, [201, 201, 201, 403, 400]),
    ("post", "/api/faqs", {**FAQ_BODY, "property_id": "{a2}"}, [201, 201, 400, 403, 400]),
    (
        "post",
        "/api/faqs",
        {"company_id": "{company_a}", "question": "Guarantors?", "answer": "Yes."},
        [201, 201, 403, 403, 400],
    ),
    ("put", "/api/faqs/{faq_a1}", {"question": "Pets?", "answer": "Cats only."}, [200, 200, 200, 403, 404]),
    ("patch", "/api/faqs/{faq_a1}", {"category": "policies"}, [200, 200, 200, 403, 404]),
    ("patch", "/api/faqs/{faq_a1}", {"property_id": None}, [200, 200, 403, 403, 404]),
    ("patch", "/api/faqs/{shared_a}", {"category": "policies"}, [200, 200, 403, 403, 404]),
    ("patch", "/api/faqs/{faq_a2}", {"category": "policies"}, [200, 200, 404, 403, 404]),
    ("delete", "/api/faqs/{faq_a1}", None, [200, 200, 200, 403, 404]),
    ("delete", "/api/faqs/{shared_a}", None, [200, 200, 403, 403, 404]),
    ("get", "/api/faqs/{faq_a1}/phrasings", None, [200, 200, 200, 200, 404]),
    ("get", "/api/faqs/{faq_a2}/phrasings", None, [200, 200, 404, 404, 404]),
    ("get", "/api/faqs/{shared_a}/phrasings", None, [200, 200, 200, 200, 404]),
    ("delete", "/api/faqs/{faq_a1}/phrasings/{phrasing_a1}", None, [200, 200, 200, 403, 404]),
    ("delete", "/api/faqs/{faq_a2}/phrasings/{phrasing_a2}", None, [200, 200, 404, 403, 404]),
    ("delete", "/api/faqs/{shared_a}/phrasings/{phrasing_shared_a}", None, [200, 200, 403, 403, 404]),
    ("get", "/api/faqs/pending", None, [200, 200, 200, 200, 200]),
    ("get", "/api/faqs/assigned/{manager_write}", None, [200, 200, 200, 200, 404]),
    ("put", "/api/faqs/{pending_a1}/assign/{manager_write}", None, [200, 200, 200, 403, 404]),
    ("put", "/api/faqs/{pending_a1}/answer", {"answer": "No sauna."}, [200, 200, 200, 403, 404]),
    ("post", "/api/faqs/{faq_a1}/needs-review", {"note": "Outdated."}, [200, 200, 200, 403, 404]),
    ("post", "/api/faqs/rag/query", {"property_id": "{a1}", "query": "dogs?"}, [200, 200, 200, 200, 400]),
    ("post", "/api/faqs/rag/query", {"property_id": "{a2}", "query": "dogs?"}, [200, 200, 400, 400, 400]),
    ("post", "/api/faqs/rag/update", {"property_id": "{a1}"}, [202, 202, 202, 403, 400]),
    ("post", "/api/faqs/rag/update", {}, [202, 202, 403, 403, 202]),
    ("get", "/api/faqs/rag/status", None, [200, 200, 200, 200, 200]),
    ("get", "/api/faqs/routing/{a1}", None, [200, 200, 200, 200, 404]),
    ("put", "/api/faqs/routing/{a1}", {"mode": "off"}, [200, 200, 403, 403, 404]),
    ("get", "/api/tasks", None, [200, 200, 200, 200, 200]),
    ("get", "/api/tasks/{task_a1}", None, [200, 200, 200, 200, 404]),
    ("get", "/api/tasks/{task_a2}", None, [200, 200, 404, 404, 404]),
    ("post", "/api/tasks", {"property_id": "{a1}", "question": "Call back?"}, [201, 201, 201, 403, 400]),
    ("put", "/api/tasks/{task_a1}", {"question": "Call back today?"}, [200, 200, 200, 403, 404]),
    ("patch", "/api/tasks/{task_a1}", {"conversation_id": "{conversation_a1}"}, [200, 200, 200, 403, 404]),
    ("delete", "/api/tasks/{task_a1}", None, [200, 200, 200, 403, 404]),
    ("put", "/api/tasks/{task_a1}/assign/{manager_write}", None, [200, 200, 200, 403, 404]),
    ("put", "/api/tasks/{task_a1}/unassign", None, [200, 200, 200, 403, 404]),
    ("get", "/api/tasks/assigned/{manager_write}", None, [200, 200, 200, 200, 404]),
    ("put", "/api/tasks/{task_a1}/status", {"status": "in_progress"}, [200, 200, 200, 403, 404]),
    ("put", "/api/tasks/{task_a1}/answer", {"answer": "Called back."}, [200, 200, 200, 403, 404]),
]


@pytest.fixture
def objects(tenants):
    faq_a1 = make_faq(property=tenants.a1, question="What is your pet policy?", answer="Cats and dogs.")
    faq_a2 = make_faq(property=tenants.a2, question="Is there parking?", answer="Garages.")
    shared_a = make_faq(company=tenants.company_a, question="Do you accept guarantors?", answer="Yes.")
    return {
        "company_a": tenants.company_a.pk,
        "a1": tenants.a1.pk,
        "a2": tenants.a2.pk,
        "manager_write": tenants.manager_write.pk,
        "faq_a1": faq_a1.pk,
        "faq_a2": faq_a2.pk,
        "shared_a": shared_a.pk,
        "phrasing_a1": make_phrasing(faq=faq_a1, text="can I bring my dog").pk,
        "phrasing_a2": make_phrasing(faq=faq_a2, text="where do I park").pk,
        "phrasing_shared_a": make_phrasing(faq=shared_a, text="can my dad cosign").pk,
        "pending_a1": make_pending(property=tenants.a1).pk,
        "faq_b1": make_faq(property=tenants.b1, question="Is there a pool?", answer="Yes.").pk,
        "task_a1": TaskFactory(property=tenants.a1).pk,
        "task_a2": TaskFactory(property=tenants.a2).pk,
        "conversation_a1": ConversationFactory(property=tenants.a1).pk,
    }


def _fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    return value


def _user(tenants, role):
    return tenants.platform if role == "platform" else getattr(tenants, role).user


@pytest.mark.parametrize(
    ("method", "path", "body", "role", "expected"),
    [
        pytest.param(method, path, body, role, statuses[i], id=f"{method.upper()} {path} {body} as {role}")
        for method, path, body, statuses in CASES
        for i, role in enumerate(ROLES)
    ],
)
def test_role_and_tenancy_matrix(tenants, objects, method, path, body, role, expected):
    response = getattr(client_for(_user(tenants, role)), method)(
        _fill(path, objects), _fill(body, objects), format="json"
    )
    payload = response.json()
    assert response.status_code == expected, payload
    assert payload["success"] is (expected < 400)
    if expected >= 400:
        codes = {
            400: {"VALIDATION_ERROR", "MISSING_REQUIRED_FIELD"},
            403: {"INSUFFICIENT_PERMISSIONS", "FORBIDDEN"},
            404: {"RECORD_NOT_FOUND"},
        }[expected]
        assert payload["error"]["code"] in codes
    if role == "admin_b":
        content = response.content.decode()
        for name in ("faq_a1", "faq_a2", "shared_a", "pending_a1", "task_a1", "task_a2", "phrasing_a1", "phrasing_a2"):
            assert str(objects[name]) not in content
        assert str(tenants.a1.pk) not in content or expected == 400


@pytest.mark.parametrize(
    ("role", "visible"),
    [
        ("platform", {"faq_a1", "faq_a2", "shared_a", "pending_a1", "faq_b1"}),
        ("admin_a", {"faq_a1", "faq_a2", "shared_a", "pending_a1"}),
        ("manager_write", {"faq_a1", "shared_a", "pending_a1"}),
        ("manager_read", {"faq_a1", "shared_a", "pending_a1"}),
        ("admin_b", {"faq_b1"}),
    ],
)
def test_faq_list_shows_only_what_the_role_may_see(tenants, objects, role, visible):
    data = client_for(_user(tenants, role)).get("/api/faqs?limit=100").json()["data"]
    names = {name for name in ("faq_a1", "faq_a2", "shared_a", "pending_a1", "faq_b1")}
    assert {item["id"] for item in data} == {str(objects[name]) for name in visible & names}


@pytest.mark.parametrize(
    ("role", "visible"),
    [("admin_a", {"task_a1", "task_a2"}), ("manager_read", {"task_a1"}), ("admin_b", set())],
)
def test_task_list_shows_only_what_the_role_may_see(tenants, objects, role, visible):
    data = client_for(_user(tenants, role)).get("/api/tasks").json()["data"]
    assert {item["id"] for item in data} == {str(objects[name]) for name in visible}


def test_rag_status_lists_only_reachable_properties(tenants, objects):
    data = client_for(tenants.manager_read.user).get("/api/faqs/rag/status").json()["data"]
    assert [row["property_id"] for row in data] == [str(tenants.a1.pk)]
    # a1's own FAQ and the company's shared one; the pending question is not knowledge.
    assert data[0]["answered_faqs"] == 2 and data[0]["shared_faqs"] == 1
    assert data[0]["open_questions"] == 1


def test_retrieval_of_another_company_finds_nothing_of_theirs(tenants, objects):
    services.faq_create(company=tenants.company_b, property=None, question="Is there a pool?", answer="Yes.")
    response = client_for(tenants.admin_a.user).post(
        "/api/faqs/rag/query", {"property_id": str(tenants.a1.pk), "query": "is there a pool"}, format="json"
    )
    returned = {hit["faq_id"] for hit in response.json()["data"]["results"]}
    assert returned <= {str(objects["faq_a1"]), str(objects["shared_a"])}
