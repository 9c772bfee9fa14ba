"""What the FAQ, retrieval and task routes do, answer and refuse (tenancy is in test_api_tenancy)."""

import pytest

from faqs.models import Faq, FaqStatus, Task, TaskStatus
from tests.conftest import client_for
from tests.factories import ConversationFactory
from tests.faqs.factories import TaskFactory, make_faq, make_pending

pytestmark = pytest.mark.django_db

FAQ_FIELDS = {"id", "property_id", "question", "answer", "category", "source_type", "status", "assigned_to"}
TASK_FIELDS = {"id", "property_id", "conversation_id", "assigned_to", "question", "answer", "status"}


@pytest.fixture
def admin(tenants):
    return client_for(tenants.admin_a.user)


@pytest.fixture
def writer(tenants):
    return client_for(tenants.manager_write.user)


def _error(response, status, code):
    assert response.status_code == status, response.json()
    assert response.json()["error"]["code"] == code
    return response.json()["error"]


# --- FAQs -------------------------------------------------------------------------------------
def test_create_with_an_answer_is_answered_knowledge(tenants, writer):
    response = writer.post(
        "/api/faqs",
        {"property_id": str(tenants.a1.pk), "question": "Is there a sauna?", "answer": "Yes.", "category": "amenities"},
        format="json",
    )
    assert response.status_code == 201
    data = response.json()["data"]
    assert set(data) >= FAQ_FIELDS
    assert data["status"] == "answered" and data["scope"] == "property" and data["source_type"] == "manual"
    assert data["answered_by"] == str(tenants.manager_write.pk) and data["indexed_at"] is not None


def test_create_without_an_answer_is_pending(tenants, writer):
    data = writer.post(
        "/api/faqs", {"property_id": str(tenants.a1.pk), "question": "Is there a sauna?"}, format="json"
    ).json()["data"]
    assert data["status"] == "pending" and data["answer"] == ""


def test_admin_creates_a_company_wide_faq(tenants, admin):
    data = admin.post("/api/faqs", {"question": "Guarantors?", "answer": "Yes."}, format="json").json()["data"]
    assert data["property_id"] is None and data["scope"] == "company"
    assert data["company_id"] == str(tenants.company_a.pk)


def test_platform_staff_must_name_the_company_of_a_shared_faq(tenants):
    response = client_for(tenants.platform).post("/api/faqs", {"question": "Q?", "answer": "A."}, format="json")
    _error(response, 400, "VALIDATION_ERROR")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "MISSING_REQUIRED_FIELD"),
        ({"question": ""}, "VALIDATION_ERROR"),
        ({"question": "x" * 1001}, "VALIDATION_ERROR"),
        ({"question": "Q?", "property_id": "not-an-id"}, "VALIDATION_ERROR"),
        ({"question": "Q?", "answer": 12.5, "category": ["list"]}, "VALIDATION_ERROR"),
    ],
)
def test_create_refuses_bad_bodies_and_writes_nothing(tenants, admin, body, code):
    _error(admin.post("/api/faqs", body, format="json"), 400, code)
    assert not Faq.objects.exists()


def test_put_edits_texts_but_not_the_status(tenants, writer):
    faq = make_faq(property=tenants.a1)
    response = writer.put(
        f"/api/faqs/{faq.pk}", {"question": "Pets?", "answer": "Cats only.", "status": "pending"}, format="json"
    )
    assert response.json()["data"]["status"] == "answered"
    assert response.json()["data"]["answer"] == "Cats only."


def test_an_answered_faq_cannot_lose_its_answer(tenants, writer):
    faq = make_faq(property=tenants.a1)
    _error(writer.patch(f"/api/faqs/{faq.pk}", {"answer": " "}, format="json"), 400, "VALIDATION_ERROR")
    faq.refresh_from_db()
    assert faq.answer


def test_list_filters_and_refuses_unknown_values(tenants, admin):
    make_faq(property=tenants.a1)
    pending = make_pending(property=tenants.a1)
    shared = make_faq(company=tenants.company_a, question="Guarantors?", answer="Yes.")
    assert [f["id"] for f in admin.get("/api/faqs?status=pending").json()["data"]] == [str(pending.pk)]
    assert [f["id"] for f in admin.get("/api/faqs?scope=company").json()["data"]] == [str(shared.pk)]
    assert len(admin.get(f"/api/faqs?property_id={tenants.a1.pk}").json()["data"]) == 2
    _error(admin.get("/api/faqs?status=open"), 400, "VALIDATION_ERROR")
    _error(admin.get("/api/faqs?scope=world"), 400, "VALIDATION_ERROR")
    _error(admin.get("/api/faqs?property_id=12"), 400, "VALIDATION_ERROR")


def test_pending_list_is_oldest_first_and_paginated(tenants, admin):
    first, second = (
        make_pending(property=tenants.a1, question="One?"),
        make_pending(property=tenants.a1, question="Two?"),
    )
    make_faq(property=tenants.a1)
    body = admin.get("/api/faqs/pending?limit=1").json()
    assert [f["id"] for f in body["data"]] == [str(first.pk)]
    assert body["meta"]["pagination"]["total"] == 2
    assert admin.get("/api/faqs/pending?limit=1&page=2").json()["data"][0]["id"] == str(second.pk)


def test_assign_answer_review_move_along_the_state_machine(tenants, writer):
    faq = make_pending(property=tenants.a1)
    data = writer.put(f"/api/faqs/{faq.pk}/assign/{tenants.manager_write.pk}").json()["data"]
    assert data["assigned_to"] == str(tenants.manager_write.pk)
    data = writer.put(f"/api/faqs/{faq.pk}/answer", {"answer": "Four chargers."}, format="json").json()["data"]
    assert data["status"] == "answered" and data["answered_at"] is not None
    data = writer.post(f"/api/faqs/{faq.pk}/needs-review", {"note": "Now six."}, format="json").json()["data"]
    assert data["status"] == "needs_review" and data["review_note"] == "Now six."
    # Approving without a body keeps the current answer.
    data = writer.put(f"/api/faqs/{faq.pk}/answer", {}, format="json").json()["data"]
    assert data["status"] == "answered" and data["answer"] == "Four chargers." and data["review_note"] == ""


def test_illegal_faq_moves_answer_409(tenants, writer):
    answered = make_faq(property=tenants.a1)
    error = _error(
        writer.put(f"/api/faqs/{answered.pk}/answer", {"answer": "Again"}, format="json"),
        409,
        "INVALID_STATUS_TRANSITION",
    )
    assert error["details"] == {"current": "answered", "requested": "answered", "allowed": ["needs_review", "pending"]}
    _error(writer.put(f"/api/faqs/{answered.pk}/assign/{tenants.manager_write.pk}"), 409, "INVALID_STATUS_TRANSITION")
    writer.post(f"/api/faqs/{answered.pk}/needs-review", {}, format="json")
    _error(writer.post(f"/api/faqs/{answered.pk}/needs-review", {}, format="json"), 409, "INVALID_STATUS_TRANSITION")


def test_answering_a_pending_question_needs_an_answer(tenants, writer):
    faq = make_pending(property=tenants.a1)
    _error(writer.put(f"/api/faqs/{faq.pk}/answer", {"answer": "  "}, format="json"), 400, "VALIDATION_ERROR")
    faq.refresh_from_db()
    assert faq.status == FaqStatus.PENDING


def test_assigning_a_read_only_manager_or_an_unknown_one_is_refused(tenants, writer):
    faq = make_pending(property=tenants.a1)
    _error(writer.put(f"/api/faqs/{faq.pk}/assign/{tenants.manager_read.pk}"), 400, "VALIDATION_ERROR")
    _error(writer.put(f"/api/faqs/{faq.pk}/assign/{tenants.admin_b.pk}"), 404, "RECORD_NOT_FOUND")
    _error(writer.put(f"/api/faqs/{faq.pk}/assign/not-a-uuid"), 404, "RECORD_NOT_FOUND")


def test_deleting_a_question_cancels_its_open_task(tenants, writer):
    from faqs.services import question_escalate

    faq = question_escalate(property=tenants.a1, question="Is there a sauna?")
    writer.delete(f"/api/faqs/{faq.pk}")
    assert Task.objects.get().status == TaskStatus.CANCELLED


def test_assigned_lists_what_the_manager_holds(tenants, admin):
    faq = make_pending(property=tenants.a1)
    make_pending(property=tenants.a1, question="Other?")
    admin.put(f"/api/faqs/{faq.pk}/assign/{tenants.manager_write.pk}")
    data = admin.get(f"/api/faqs/assigned/{tenants.manager_write.pk}").json()["data"]
    assert [f["id"] for f in data] == [str(faq.pk)]


# --- retrieval --------------------------------------------------------------------------------
@pytest.fixture
def knowledge(tenants):
    return {
        "pets": make_faq(
            property=tenants.a1, question="What is your pet policy?", answer="Two cats or dogs, $35 pet rent."
        ),
        "parking": make_faq(property=tenants.a1, question="What parking is available?", answer="Carports and garages."),
        "guarantor": make_faq(
            company=tenants.company_a, question="Do you accept guarantors?", answer="Yes, earning five times the rent."
        ),
    }


def test_rag_query_finds_the_answer_in_other_words(tenants, admin, knowledge):
    response = admin.post(
        "/api/faqs/rag/query",
        {"property_id": str(tenants.a1.pk), "query": "can my parents co-sign the lease", "top_k": 2},
        format="json",
    )
    data = response.json()["data"]
    assert data["results"][0]["faq_id"] == str(knowledge["guarantor"].pk)
    assert len(data["results"]) == 2 and set(data["results"][0]) == {"faq_id", "question", "answer", "score"}
    # Found, but words this far from the FAQ's own go to a person rather than risk a wrong answer.
    assert data["answered"] is False


def test_rag_query_answers_an_faq_asked_in_its_own_words(tenants, admin, knowledge):
    data = admin.post(
        "/api/faqs/rag/query",
        {"property_id": str(tenants.a1.pk), "query": "what is your pet policy"},
        format="json",
    ).json()["data"]
    assert data["results"][0]["faq_id"] == str(knowledge["pets"].pk) and data["answered"] is True


def test_rag_query_declines_what_no_faq_answers(tenants, admin, knowledge):
    data = admin.post(
        "/api/faqs/rag/query",
        {"property_id": str(tenants.a1.pk), "query": "who won the game last night"},
        format="json",
    ).json()["data"]
    assert data["answered"] is False


@pytest.mark.parametrize(
    "body",
    [
        {"query": "dogs?"},
        {"property_id": "{a1}", "query": ""},
        {"property_id": "{a1}", "query": "x", "top_k": 0},
        {"property_id": "{a1}", "query": "x", "top_k": 21},
        {"property_id": "{a1}", "query": "x" * 1001},
    ],
)
def test_rag_query_refuses_bad_bodies(tenants, admin, body):
    body = {key: value.format(a1=tenants.a1.pk) if isinstance(value, str) else value for key, value in body.items()}
    assert admin.post("/api/faqs/rag/query", body, format="json").status_code == 400


def test_rag_update_stores_missing_vectors_and_status_reports_them(
    tenants, admin, knowledge, django_capture_on_commit_callbacks
):
    Faq.objects.bulk_create(
        [
            Faq(
                company=tenants.company_a,
                property=tenants.a1,
                question=f"Imported {n}?",
                answer="Yes.",
                status="answered",
            )
            for n in range(3)
        ]
    )
    status = admin.get(f"/api/faqs/rag/status?property_id={tenants.a1.pk}").json()["data"][0]
    assert status["answered_faqs"] == 6 and status["indexed_faqs"] == 3
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post("/api/faqs/rag/update", {"property_id": str(tenants.a1.pk)}, format="json")
    assert response.status_code == 202 and response.json()["data"]["property_ids"] == [str(tenants.a1.pk)]
    status = admin.get(f"/api/faqs/rag/status?property_id={tenants.a1.pk}").json()["data"][0]
    assert status["indexed_faqs"] == 6 and status["last_indexed_at"] is not None
    assert status["embedding_model"] == "all-MiniLM-L6-v2-onnx-int8"


def test_rag_update_force_recomputes_every_vector(tenants, admin, knowledge, django_capture_on_commit_callbacks):
    before = {faq.pk: faq.indexed_at for faq in Faq.objects.all()}
    with django_capture_on_commit_callbacks(execute=True):
        admin.post("/api/faqs/rag/update", {"force": True}, format="json")
    assert all(faq.indexed_at > before[faq.pk] for faq in Faq.objects.all())


def test_unindexed_faqs_are_still_searched(tenants, admin):
    Faq.objects.create(
        company=tenants.company_a, property=tenants.a1, question="Is there a sauna?", answer="Yes.", status="answered"
    )
    data = admin.post(
        "/api/faqs/rag/query", {"property_id": str(tenants.a1.pk), "query": "sauna"}, format="json"
    ).json()["data"]
    assert data["results"][0]["question"] == "Is there a sauna?"


def test_routing_reads_the_default_and_stores_a_choice(tenants, admin):
    url = f"/api/faqs/routing/{tenants.a1.pk}"
    assert admin.get(url).json()["data"]["mode"] == "round_robin"
    data = admin.put(url, {"mode": "fixed", "manager_id": str(tenants.manager_write.pk)}, format="json").json()["data"]
    assert data["mode"] == "fixed" and data["manager_id"] == str(tenants.manager_write.pk)
    _error(admin.put(url, {"mode": "fixed"}, format="json"), 400, "VALIDATION_ERROR")
    _error(admin.put(url, {"mode": "lottery"}, format="json"), 400, "VALIDATION_ERROR")
    _error(
        admin.put(url, {"mode": "fixed", "manager_id": str(tenants.manager_read.pk)}, format="json"),
        400,
        "VALIDATION_ERROR",
    )


# --- tasks ------------------------------------------------------------------------------------
def test_task_create_has_every_field_and_checks_its_links(tenants, writer):
    conversation = ConversationFactory(property=tenants.a1)
    data = writer.post(
        "/api/tasks",
        {
            "property_id": str(tenants.a1.pk),
            "conversation_id": str(conversation.pk),
            "assigned_to": str(tenants.manager_write.pk),
            "question": "Call the prospect back",
        },
        format="json",
    ).json()["data"]
    assert set(data) >= TASK_FIELDS
    assert data["status"] == "pending" and data["conversation_id"] == str(conversation.pk)
    other = ConversationFactory(property=tenants.a2)
    response = client_for(tenants.admin_a.user).post(
        "/api/tasks",
        {"property_id": str(tenants.a1.pk), "conversation_id": str(other.pk), "question": "Q"},
        format="json",
    )
    _error(response, 400, "VALIDATION_ERROR")
    assert Task.objects.count() == 1


def test_task_status_machine_and_its_illegal_moves(tenants, writer):
    task = TaskFactory(property=tenants.a1)
    url = f"/api/tasks/{task.pk}"
    assert (
        writer.put(f"{url}/status", {"status": "in_progress"}, format="json").json()["data"]["status"] == "in_progress"
    )
    assert writer.put(f"{url}/status", {"status": "cancelled"}, format="json").status_code == 200
    _error(writer.put(f"{url}/status", {"status": "completed"}, format="json"), 409, "INVALID_STATUS_TRANSITION")
    _error(writer.put(f"{url}/assign/{tenants.manager_write.pk}"), 409, "INVALID_STATUS_TRANSITION")
    _error(writer.put(f"{url}/answer", {"answer": "Done"}, format="json"), 409, "INVALID_STATUS_TRANSITION")
    assert writer.put(f"{url}/status", {"status": "pending"}, format="json").status_code == 200
    data = writer.put(f"{url}/answer", {"answer": "Called back."}, format="json").json()["data"]
    assert data["status"] == "completed" and data["answer"] == "Called back." and data["completed_at"]
    _error(writer.put(f"{url}/status", {"status": "pending"}, format="json"), 409, "INVALID_STATUS_TRANSITION")
    _error(writer.put(f"{url}/status", {"status": "done"}, format="json"), 400, "VALIDATION_ERROR")


def test_task_assign_and_unassign(tenants, writer):
    task = TaskFactory(property=tenants.a1)
    data = writer.put(f"/api/tasks/{task.pk}/assign/{tenants.manager_write.pk}").json()["data"]
    assert data["assigned_to"] == str(tenants.manager_write.pk)
    assert [t["id"] for t in writer.get(f"/api/tasks/assigned/{tenants.manager_write.pk}").json()["data"]] == [
        str(task.pk)
    ]
    assert writer.put(f"/api/tasks/{task.pk}/unassign").json()["data"]["assigned_to"] is None
    _error(writer.put(f"/api/tasks/{task.pk}/assign/{tenants.manager_read.pk}"), 400, "VALIDATION_ERROR")


def test_task_list_filters(tenants, admin):
    TaskFactory(property=tenants.a1)
    done = TaskFactory(property=tenants.a2, status=TaskStatus.COMPLETED)
    assert [t["id"] for t in admin.get("/api/tasks?status=completed").json()["data"]] == [str(done.pk)]
    _error(admin.get("/api/tasks?status=finished"), 400, "VALIDATION_ERROR")


# --- query counts -----------------------------------------------------------------------------
def _rows(tenants, count):
    from faqs.services import question_escalate

    for n in range(count):
        faq = question_escalate(
            property=tenants.a1,
            question=f"Question {n} about topic {n * 7919}?",
            conversation=ConversationFactory(property=tenants.a1),
        )
        faq.save()


@pytest.mark.parametrize("rows", [1, 25])
@pytest.mark.parametrize(
    "path",
    ["/api/faqs?limit=100", "/api/faqs/pending?limit=100", "/api/tasks?limit=100", "/api/faqs/rag/status"],
)
def test_list_query_counts_do_not_grow_with_rows(tenants, django_assert_max_num_queries, rows, path):
    _rows(tenants, rows)
    client = client_for(tenants.manager_write.user)
    client.get(path)  # warms the per-user caches, as any later request finds them
    with django_assert_max_num_queries(6):
        response = client.get(path)
    assert response.status_code == 200
    assert len(response.json()["data"]) >= 1


@pytest.mark.parametrize("rows", [1, 40])
def test_retrieval_query_count_does_not_grow_with_faqs(tenants, django_assert_max_num_queries, rows):
    for n in range(rows):
        make_faq(property=tenants.a1, question=f"Question {n}?", answer=f"Answer {n}.")
    client = client_for(tenants.manager_write.user)
    body = {"property_id": str(tenants.a1.pk), "query": "Question 0?"}
    client.post("/api/faqs/rag/query", body, format="json")
    with django_assert_max_num_queries(4):
        response = client.post("/api/faqs/rag/query", body, format="json")
    assert response.json()["data"]["results"][0]["question"] == "Question 0?"
