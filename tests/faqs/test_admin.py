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
            "conversation_links-TOTAL_FORMS": "0",
            "conversation_links-INITIAL_FORMS": "0",
            "tasks-TOTAL_FORMS": "0",
            "tasks-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    faq.refresh_from_db()
    assert faq.answer == "Eight to six on weekdays." and bytes(faq.embedding) != before


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
