"""The FAQ, task and routing admin pages, under the same tenancy as the API."""

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from faqs.models import Faq, QuestionRouting, Task
from faqs.services import question_escalate
from tests.factories import DEFAULT_PASSWORD, ConversationFactory
from tests.faqs.factories import make_faq

pytestmark = pytest.mark.django_db


def admin_client(user):
    client = Client()
    assert client.login(email=user.email, password=DEFAULT_PASSWORD)
    return client


def test_every_faqs_model_has_an_admin():
    for model in (Faq, Task, QuestionRouting):
        assert model in admin.site._registry


def test_platform_staff_open_the_lists_and_the_question_with_its_conversations(tenants):
    faq = question_escalate(
        property=tenants.a1, question="Is there a sauna?", conversation=ConversationFactory(property=tenants.a1)
    )
    client = admin_client(tenants.platform)
    for name in ("faq", "task", "questionrouting"):
        assert client.get(reverse(f"admin:faqs_{name}_changelist")).status_code == 200
    page = client.get(reverse("admin:faqs_faq_change", args=[faq.pk]))
    assert page.status_code == 200 and "Is there a sauna?" in page.content.decode()


def test_company_admin_sees_only_their_company_faqs(tenants):
    make_faq(property=tenants.a1, question="Alpha question?")
    make_faq(property=tenants.b1, question="Beta question?")
    page = admin_client(tenants.admin_a.user).get(reverse("admin:faqs_faq_changelist")).content.decode()
    assert "Alpha question?" in page and "Beta question?" not in page


def test_editing_an_faq_in_the_admin_reindexes_it(tenants):
    faq = make_faq(property=tenants.a1, question="Office hours?", answer="Nine to five.")
    before = bytes(faq.embedding)
    response = admin_client(tenants.platform).post(
        reverse("admin:faqs_faq_change", args=[faq.pk]),
        {
            "company": tenants.company_a.pk,
            "property": tenants.a1.pk,
            "question": "Office hours?",
            "answer": "Eight to six on weekdays.",
            "category": "",
            "review_note": "",
            **_empty_inlines(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    faq.refresh_from_db()
    assert faq.answer == "Eight to six on weekdays." and bytes(faq.embedding) != before


def _empty_inlines(**initial):
    forms = {}
    for prefix in ("phrasings", "conversation_links", "tasks"):
        forms[f"{prefix}-TOTAL_FORMS"] = forms[f"{prefix}-INITIAL_FORMS"] = str(initial.get(prefix, 0))
    return forms


def test_the_question_page_lists_its_learned_phrasings(tenants):
    faq = question_escalate(property=tenants.a1, question="Is there a sauna?")
    question_escalate(property=tenants.a1, question="is there a sauna in the building?")
    page = admin_client(tenants.admin_a.user).get(reverse("admin:faqs_faq_change", args=[faq.pk])).content.decode()
    assert "Learned phrasings" in page and "is there a sauna in the building?" in page


def test_deleting_a_phrasing_in_the_admin_makes_the_bot_forget_it(tenants):
    from faqs.selectors import faq_retrieve
    from faqs.services import faq_answer, faq_update

    wording = "my wife loves a hot steamy room after work, got anything like that"
    faq = question_escalate(property=tenants.a1, question=wording)
    faq = faq_update(faq=faq, question="Is there a sauna?")
    faq = faq_answer(faq=faq, answer="Yes, a dry sauna on the roof deck, open 6 am to 10 pm.", manager=None)
    # Repeating a learned wording scores its similarity, about 1; the FAQ's text alone never does.
    assert faq_retrieve(property=tenants.a1, query=wording).results[0].score > 0.99
    phrasing = faq.phrasings.get()
    response = admin_client(tenants.admin_a.user).post(
        reverse("admin:faqs_faq_change", args=[faq.pk]),
        {
            "property": tenants.a1.pk,
            "question": faq.question,
            "answer": faq.answer,
            "category": "",
            "review_note": "",
            **_empty_inlines(phrasings=1),
            "phrasings-0-id": phrasing.pk,
            "phrasings-0-faq": faq.pk,
            "phrasings-0-DELETE": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert not faq.phrasings.exists()
    assert faq_retrieve(property=tenants.a1, query=wording).results[0].score < 0.9


def test_read_only_manager_cannot_change_an_faq(tenants):
    faq = make_faq(property=tenants.a1, question="Office hours?", answer="Nine to five.")
    response = admin_client(tenants.manager_read.user).post(
        reverse("admin:faqs_faq_change", args=[faq.pk]), {"question": "Hacked", "answer": "Hacked"}
    )
    assert response.status_code == 403
    faq.refresh_from_db()
    assert faq.question == "Office hours?"


def test_routing_admin_refuses_a_read_only_manager_as_the_chosen_one(tenants):
    client = admin_client(tenants.admin_a.user)
    response = client.post(
        reverse("admin:faqs_questionrouting_add"),
        {"property": tenants.a1.pk, "mode": "fixed", "manager": tenants.manager_read.pk},
    )
    assert response.status_code == 200 and "no write access" in response.content.decode()
    assert not QuestionRouting.objects.exists()
    response = client.post(
        reverse("admin:faqs_questionrouting_add"),
        {"property": tenants.a1.pk, "mode": "fixed", "manager": tenants.manager_write.pk},
    )
    assert response.status_code == 302
    assert QuestionRouting.objects.get().manager_id == tenants.manager_write.pk
