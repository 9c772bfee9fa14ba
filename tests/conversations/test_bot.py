"""The bot: the local engine's conversation, fair-housing guardrails, the lead score rules, and
the OpenAI engine against a fake OpenAI server (tool calls, and falling back when it fails)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from conversations import scoring
from conversations.bot import BotContext, engine_for, guardrails
from conversations.bot.knowledge import Knowledge
from conversations.bot.local import LocalEngine
from conversations.models import ChatSettings, Conversation, Message
from core.clients.openai import OpenAIClient
from tests.conftest import client_for
from tests.conversations.conftest import WidgetClient
from tests.fakes.openai import call, reply

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("America/Chicago"))


def _context(property_, text, **kwargs):
    return BotContext(property=property_, text=text, now=NOW, knowledge=Knowledge(property_), **kwargs)


# --- local engine -----------------------------------------------------------------------------------
def test_greeting_welcomes_and_asks_the_first_question(tenants):
    tenants.a1.chatbot_welcome_message = "Hi from A One!"
    answer = LocalEngine().reply(_context(tenants.a1, "Hello"))
    assert answer.text.startswith("Hi from A One!")
    assert "move in" in answer.text
    assert answer.state["expecting"] == "move_in_date"


def test_it_asks_for_what_is_missing_in_order(tenants):
    lead = {"move_in_date": date(2027, 3, 1), "apartment_size_preference": "2br"}
    answer = LocalEngine().reply(_context(tenants.a1, "ok", lead=lead))
    assert "monthly rent" in answer.text
    assert answer.state["expecting"] == "budget"


def test_a_bare_answer_fills_the_field_it_asked_for(tenants):
    answer = LocalEngine().reply(_context(tenants.a1, "3", state={"expecting": "occupants_count"}))
    assert answer.conversation_updates == {"occupants_count": 3}


def test_an_unanswerable_question_is_escalated(tenants):
    answer = LocalEngine().reply(_context(tenants.a1, "Is there a rooftop cinema?"))
    assert [action.kind for action in answer.actions] == ["escalate_question"]
    assert "a person will follow up" in answer.text


def test_a_listed_amenity_is_answered(tenants):
    tenants.a1.amenities = ["Pool", "Fitness center"]
    answer = LocalEngine().reply(_context(tenants.a1, "Do you have a pool?"))
    assert "Pool" in answer.text
    assert answer.actions == []


def test_a_tour_with_a_time_and_contact_is_booked(tenants):
    contact = {"first_name": "Jo", "email": "jo@p.test"}
    answer = LocalEngine().reply(_context(tenants.a1, "Can I tour tomorrow at 2pm?", contact=contact))
    assert [(a.kind, a.data["start"]) for a in answer.actions] == [("book_tour", "2026-11-25T14:00:00-06:00")]


def test_a_tour_without_contact_asks_for_it_and_books_once_given(tenants):
    first = LocalEngine().reply(_context(tenants.a1, "Can I tour tomorrow at 2pm?"))
    assert first.actions == []
    assert "name" in first.text
    second = LocalEngine().reply(_context(tenants.a1, "I'm Jo, jo@p.test", state=first.state))
    assert [a.kind for a in second.actions] == ["book_tour"]


def test_a_handoff_request_is_raised(tenants):
    answer = LocalEngine().reply(_context(tenants.a1, "can I speak to a real person please"))
    assert [a.kind for a in answer.actions] == ["handoff_request"]


def test_none_of_the_local_questions_touch_protected_traits():
    from conversations.bot.local import QUESTIONS

    for _, question in QUESTIONS:
        assert not guardrails.asks_about_protected_trait(question)
        assert not guardrails.is_protected_topic(question)


# --- guardrails -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "What kind of people live here?",
        "Are there a lot of families with kids in the building?",
        "Is this a good neighborhood for Christians?",
        "what are the demographics of the area",
        "Is it mostly white people?",
        "Do you rent to immigrants?",
        "Are there many disabled residents?",
    ],
)
def test_protected_questions_get_the_fair_housing_answer(tenants, text):
    answer = LocalEngine().reply(_context(tenants.a1, text))
    assert answer.text == guardrails.FAIR_HOUSING_REPLY
    assert answer.actions == []


@pytest.mark.parametrize(
    "text",
    ["Is there a playground?", "Do you have a gym?", "Is parking included?", "How many people can live in a 2br?"],
)
def test_ordinary_questions_are_not_refused(text):
    assert not guardrails.is_protected_topic(text)


@pytest.mark.parametrize(
    "reply_text",
    [
        "Great! Do you have any children?",
        "May I ask your religion?",
        "Are you married?",
        "What is your national origin?",
    ],
)
def test_a_reply_asking_about_protected_traits_is_replaced(reply_text):
    assert guardrails.safe_reply(reply_text) == guardrails.FAIR_HOUSING_REPLY


def test_an_ordinary_reply_is_kept():
    assert guardrails.safe_reply("How many people will live in the home?") == "How many people will live in the home?"


# --- scoring -----------------------------------------------------------------------------------------
def test_score_rules_add_up_to_100():
    lead = {
        "move_in_date": date(2026, 12, 1),
        "price_range_max": 1800,
        "apartment_size_preference": "2br",
        "occupants_count": 2,
        "has_pets": False,
        "is_book_tour": True,
    }
    contact = {"email": "a@b.test", "phone": "+15125550100", "first_name": "A"}
    assert scoring.lead_score(lead=lead, contact=contact, today=date(2026, 11, 24)) == 100


@pytest.mark.parametrize(
    ("lead", "contact", "expected"),
    [
        ({}, {}, 0),
        ({}, {"email": "a@b.test"}, 20),
        ({}, {"email": "a@b.test", "phone": "+1"}, 25),
        ({"move_in_date": date(2027, 6, 1)}, {}, 10),
        ({"move_in_date": date(2026, 12, 20)}, {}, 20),
        ({"has_pets": False}, {}, 5),
        ({"price_range_min": 1000}, {}, 10),
    ],
)
def test_score_rules_one_by_one(lead, contact, expected):
    assert scoring.lead_score(lead=lead, contact=contact, today=date(2026, 11, 24)) == expected


def test_qualified_needs_contact_and_50_points():
    assert scoring.is_qualified(score=50, contact={"phone": "+1"}) is True
    assert scoring.is_qualified(score=49, contact={"phone": "+1"}) is False
    assert scoring.is_qualified(score=80, contact={}) is False
    assert scoring.is_pre_qualified(lead={"move_in_date": date(2027, 1, 1), "apartment_size_preference": "1br"})
    assert not scoring.is_pre_qualified(lead={"apartment_size_preference": "1br"})


# --- OpenAI engine ----------------------------------------------------------------------------------
@pytest.fixture
def openai_company(tenants, fake_openai):
    tenants.company_a.openai_api_key = "sk-test"
    tenants.company_a.save()
    return tenants.company_a


def test_the_company_key_selects_the_openai_engine(openai_company, tenants):
    assert engine_for(openai_company).name == "openai"
    ChatSettings.objects.create(company=openai_company, reply_engine="local")
    openai_company.refresh_from_db()
    assert engine_for(openai_company, openai_company.chat_settings).name == "local"
    assert engine_for(tenants.company_b).name == "local"


def test_tool_calls_fill_the_lead_and_the_reply_reaches_the_prospect(openai_company, tenants, fake_openai):
    fake_openai.script(
        call(
            "update_lead",
            {"has_pets": True, "pet_details": {"dog": 1}, "apartment_size_preference": "2br", "occupants_count": 99},
        ),
        reply("Dogs are welcome! When would you like to move in?"),
    )
    widget = WidgetClient()
    widget.session(tenants.a1)
    turn = widget.send(tenants.a1, "I have a dog and want a 2br").json()["data"]
    assert turn["reply"]["text"] == "Dogs are welcome! When would you like to move in?"
    conversation = Conversation.objects.get(pk=widget.conversation_id)
    assert conversation.has_pets is True
    assert conversation.apartment_size_preference == "2br"
    assert conversation.occupants_count is None  # 99 was refused
    requests = fake_openai.completions
    assert len(requests) == 2
    first = requests[0].json()
    assert first["model"] == "gpt-4o-mini"
    assert {tool["function"]["name"] for tool in first["tools"]} >= {"update_lead", "search_faqs", "book_tour"}
    assert "Fair housing" in first["messages"][0]["content"]
    tool_message = requests[1].json()["messages"][-1]
    assert tool_message["role"] == "tool"
    assert "occupants_count" in tool_message["content"]  # reported back as rejected
    assert Message.objects.get(pk=turn["reply"]["id"]).metadata["engine"] == "openai"


def test_search_faqs_tool_reads_the_knowledge_base(openai_company, tenants, fake_openai):
    from faqs.services import faq_create

    faq_create(company=tenants.company_a, property=tenants.a1, question="Is there parking?", answer="Yes, a garage.")
    fake_openai.script(call("search_faqs", {"query": "parking"}), reply("Yes, we have a garage."))
    answer = engine_for(openai_company).reply(_context(tenants.a1, "Where do I park?"))
    assert answer.text == "Yes, we have a garage."
    tool_result = fake_openai.completions[1].json()["messages"][-1]["content"]
    assert "a garage" in tool_result


@pytest.mark.parametrize("failure", ["500", "timeout", "garbage", "bad_key"])
def test_openai_failures_fall_back_to_the_local_engine(openai_company, tenants, fake_openai, failure, settings):
    if failure == "500":
        fake_openai.fail_next(1, status=503)
    elif failure == "timeout":
        fake_openai.delay = 1.5
    elif failure == "garbage":
        fake_openai.garbage_next(1)
    else:
        fake_openai.api_keys = {"sk-other"}
    answer = engine_for(openai_company).reply(_context(tenants.a1, "We have a dog and need a 2br"))
    assert answer.engine == "local"
    assert answer.fell_back is True
    assert answer.error
    assert answer.conversation_updates["apartment_size_preference"] == "2br"


def test_a_model_that_never_stops_calling_tools_falls_back(openai_company, tenants, fake_openai):
    fake_openai.script(*[call("search_faqs", {"query": "x"}) for _ in range(6)])
    answer = engine_for(openai_company).reply(_context(tenants.a1, "hello"))
    assert answer.fell_back is True


def test_a_model_reply_asking_about_children_never_reaches_the_prospect(openai_company, tenants, fake_openai):
    fake_openai.script(reply("Sure! Do you have any kids?"))
    answer = engine_for(openai_company).reply(_context(tenants.a1, "I'd like a 3br"))
    assert answer.text == guardrails.FAIR_HOUSING_REPLY


def test_protected_questions_never_reach_openai(openai_company, tenants, fake_openai):
    answer = engine_for(openai_company).reply(_context(tenants.a1, "What kind of people live here?"))
    assert answer.text == guardrails.FAIR_HOUSING_REPLY
    assert fake_openai.completions == []


def test_book_tour_tool_needs_contact_first(openai_company, tenants, fake_openai):
    start = (NOW + timedelta(days=2)).isoformat()
    fake_openai.script(call("book_tour", {"start": start}), reply("What's your name and email?"))
    answer = engine_for(openai_company).reply(_context(tenants.a1, "Book me Thursday"))
    assert answer.actions == []
    assert "name" in fake_openai.completions[1].json()["messages"][-1]["content"]


def test_the_client_speaks_the_chat_completions_format(fake_openai):
    client = OpenAIClient("sk-test", base_url=fake_openai.url, timeout=1)
    fake_openai.script(reply("hi"))
    assert client.chat_completion(model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}]) == {
        "role": "assistant",
        "content": "hi",
        "refusal": None,
    }


def test_chatbot_test_route_runs_the_engine_without_storing(tenants, fake_openai, openai_company):
    fake_openai.script(reply("We love pets!"))
    client = client_for(tenants.manager_read.user)
    response = client.post(f"/api/properties/{tenants.a1.pk}/chatbot/test", {"message": "Pets?"}, format="json")
    assert response.status_code == 200
    assert response.json()["data"]["reply"] == "We love pets!"
    assert response.json()["data"]["engine"] == "openai"
    assert not Conversation.objects.exists()
    assert client.post(f"/api/properties/{tenants.a1.pk}/chatbot/test", {}, format="json").status_code == 400
