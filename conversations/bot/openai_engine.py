"""The OpenAI reply engine: the same contract as the local one, over OpenAI's chat completions
with tool calls. Any failure (timeout, 5xx, a rejected key, a malformed answer) falls back to the
local engine, so the prospect always gets an answer.
"""

import json
import logging
from datetime import date, datetime, timedelta

from conversations.bot import extraction, guardrails, intents
from conversations.bot.base import (
    BOOK_TOUR,
    ESCALATE_QUESTION,
    HANDOFF_REQUEST,
    Action,
    BotContext,
    BotReply,
)
from conversations.bot.local import LocalEngine
from core.clients.http import ExternalServiceError, ExternalServiceRejected
from core.clients.openai import OpenAIClient

logger = logging.getLogger(__name__)

SIZES = ["studio", "1br", "2br", "3br", "4br", "5br"]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "update_lead",
            "description": "Record what the prospect said about themselves and what they look for.",
            "parameters": {
                "type": "object",
                "properties": {
                    "first_name": {"type": "string"},
                    "last_name": {"type": "string"},
                    "email": {"type": "string"},
                    "phone": {"type": "string"},
                    "apartment_size_preference": {"type": "string", "enum": SIZES},
                    "move_in_date": {"type": "string", "description": "YYYY-MM-DD"},
                    "price_range_min": {"type": "integer"},
                    "price_range_max": {"type": "integer"},
                    "occupants_count": {"type": "integer"},
                    "has_pets": {"type": "boolean"},
                    "pet_details": {"type": "object", "description": 'Kinds and counts, e.g. {"dog": 1}'},
                    "desired_features": {"type": "array", "items": {"type": "string"}},
                    "work_location": {"type": "string"},
                    "reason_for_moving": {"type": "string"},
                },
                "additionalProperties": False,
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "search_faqs",
            "description": "Search the property's answered FAQs. Answer questions only from what this returns.",
            "parameters": {
                "type": "object",
                "properties": {"query": {"type": "string"}},
                "required": ["query"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "get_tour_slots",
            "description": "Open tour times in the next days.",
            "parameters": {
                "type": "object",
                "properties": {
                    "days": {"type": "integer", "minimum": 1, "maximum": 14},
                    "tour_type": {"type": "string", "enum": ["in_person", "virtual", "self_guided"]},
                },
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "book_tour",
            "description": "Book a tour once the prospect chose a time and gave a name and an email or phone.",
            "parameters": {
                "type": "object",
                "properties": {
                    "start": {"type": "string", "description": "ISO 8601 with offset"},
                    "tour_type": {"type": "string", "enum": ["in_person", "virtual", "self_guided"]},
                },
                "required": ["start"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "request_handoff",
            "description": "The prospect wants to talk with a person.",
            "parameters": {"type": "object", "properties": {"reason": {"type": "string"}}},
        },
    },
    {
        "type": "function",
        "function": {
            "name": "escalate_question",
            "description": "A question the FAQs do not answer: the leasing team will answer it.",
            "parameters": {
                "type": "object",
                "properties": {"question": {"type": "string"}},
                "required": ["question"],
            },
        },
    },
]

SYSTEM_PROMPT = """You are the leasing assistant of {name}, {address}, {city}, {state}.
Today is {today} ({time_zone}). Amenities: {amenities}. Features: {features}.
Known about this prospect: {known}.
Be brief and warm. Answer questions only from search_faqs results; when they do not answer,
call escalate_question and say a person will follow up. Record every detail the prospect gives
with update_lead. Ask for one missing detail at a time: move-in date, bedrooms, budget, number of
occupants, pets, then an email or phone and a name. Offer a tour (get_tour_slots, book_tour).
Fair housing: never ask about, comment on or steer by race, color, religion, national origin, sex,
familial status (children), disability, age or any protected characteristic, and never describe
who lives in the building or neighborhood; say so politely if asked."""


class OpenAIEngine:
    name = "openai"

    def __init__(self, client: OpenAIClient, *, model: str, fallback=None, max_rounds: int = 4):
        self.client = client
        self.model = model
        self.fallback = fallback or LocalEngine()
        self.max_rounds = max_rounds

    def reply(self, context: BotContext) -> BotReply:
        if guardrails.is_protected_topic(context.text):
            return BotReply(
                text=guardrails.FAIR_HOUSING_REPLY,
                engine=self.name,
                intents=[intents.FAIR_HOUSING],
                state=context.state,
            )
        try:
            return self._converse(context)
        except (ExternalServiceError, ExternalServiceRejected, ValueError, KeyError, TypeError) as exc:
            logger.warning("OpenAI engine failed, answering with the local engine: %s", exc)
            reply = self.fallback.reply(context)
            reply.fell_back = True
            reply.error = f"{type(exc).__name__}: {exc}"
            return reply

    def _converse(self, context: BotContext) -> BotReply:
        reply = BotReply(text="", engine=self.name, intents=intents.detect(context.text), state=dict(context.state))
        messages = [{"role": "system", "content": self._system_prompt(context)}]
        for sender, text in context.history[-12:]:
            messages.append({"role": "user" if sender == "prospect" else "assistant", "content": text})
        messages.append({"role": "user", "content": context.text})
        for _ in range(self.max_rounds):
            message = self.client.chat_completion(model=self.model, messages=messages, tools=TOOLS)
            calls = message.get("tool_calls") or []
            if not calls:
                reply.text = guardrails.safe_reply(str(message["content"]).strip())
                return reply
            messages.append({"role": "assistant", "content": message.get("content"), "tool_calls": calls})
            for call in calls:
                result = self._run_tool(
                    call["function"]["name"], call["function"].get("arguments") or "{}", context, reply
                )
                messages.append(
                    {"role": "tool", "tool_call_id": call["id"], "content": json.dumps(result, default=str)}
                )
        raise ValueError("OpenAI kept calling tools without answering.")

    def _system_prompt(self, context: BotContext) -> str:
        prop = context.property
        known = {
            key: value for key, value in {**context.lead, **context.contact}.items() if value not in (None, "", [], {})
        }
        return SYSTEM_PROMPT.format(
            name=prop.name,
            address=prop.address,
            city=prop.city,
            state=prop.state,
            today=context.now.strftime("%A %Y-%m-%d %H:%M"),
            time_zone=prop.time_zone,
            amenities=", ".join(map(str, prop.amenities or [])) or "not listed",
            features=", ".join(map(str, prop.features or [])) or "not listed",
            known=json.dumps(known, default=str) if known else "nothing yet",
        )

    def _run_tool(self, name: str, raw_arguments: str, context: BotContext, reply: BotReply) -> dict:
        arguments = json.loads(raw_arguments)
        if not isinstance(arguments, dict):
            raise ValueError("Tool arguments are not an object.")
        if name == "update_lead":
            accepted, rejected = _clean_lead(arguments, today=context.now.date())
            reply.conversation_updates.update(accepted["conversation"])
            reply.prospect_updates.update(accepted["prospect"])
            return {"recorded": sorted([*accepted["conversation"], *accepted["prospect"]]), "rejected": rejected}
        if name == "search_faqs":
            hits, answered = context.knowledge.faq_search(str(arguments.get("query", "")))
            return {"answered": answered, "results": [{"question": h.question, "answer": h.answer} for h in hits]}
        if name == "get_tour_slots":
            days = max(1, min(int(arguments.get("days") or 7), 14))
            start = context.now + timedelta(hours=2)
            slots = context.knowledge.tour_slots(
                start=start, end=start + timedelta(days=days), tour_type=arguments.get("tour_type") or "in_person"
            )
            return {"slots": [slot.isoformat() for slot in slots[:10]]}
        if name == "book_tour":
            start = datetime.fromisoformat(str(arguments["start"]))
            if start.tzinfo is None:
                start = start.replace(tzinfo=context.now.tzinfo)
            contact = {**context.contact, **reply.prospect_updates}
            if not (contact.get("first_name") and (contact.get("email") or contact.get("phone"))):
                return {"booked": False, "reason": "Ask for the prospect's name and an email or phone first."}
            tour_type = arguments.get("tour_type") or "in_person"
            reply.actions.append(Action(BOOK_TOUR, {"start": start.isoformat(), "tour_type": tour_type}))
            return {"booked": "requested", "start": start.isoformat(), "tour_type": tour_type}
        if name == "request_handoff":
            reply.actions.append(
                Action(HANDOFF_REQUEST, {"message": context.text, "reason": arguments.get("reason", "")})
            )
            return {"ok": True}
        if name == "escalate_question":
            reply.actions.append(
                Action(ESCALATE_QUESTION, {"question": str(arguments.get("question") or context.text)})
            )
            return {"ok": True}
        return {"error": f"Unknown tool {name}."}


def _clean_lead(arguments: dict, *, today: date) -> tuple[dict, list[str]]:
    """Only values that make sense reach the conversation; the model hears which were refused."""
    accepted: dict = {"conversation": {}, "prospect": {}}
    rejected = []
    for key, value in arguments.items():
        cleaned = _clean_value(key, value, today)
        if cleaned is None:
            rejected.append(key)
            continue
        target = "prospect" if key in ("first_name", "last_name", "email", "phone") else "conversation"
        accepted[target][key] = cleaned
    return accepted, rejected


def _clean_value(key, value, today):
    if key in ("first_name", "last_name", "work_location", "reason_for_moving"):
        return str(value).strip()[:150] or None if isinstance(value, str) else None
    if key == "email":
        return extraction.extract_email(str(value))
    if key == "phone":
        return extraction.extract_phone(str(value))
    if key == "apartment_size_preference":
        return value if value in SIZES else None
    if key == "move_in_date":
        try:
            moment = date.fromisoformat(str(value))
        except ValueError:
            return None
        return moment if moment >= today else None
    if key in ("price_range_min", "price_range_max"):
        return value if isinstance(value, int) and not isinstance(value, bool) and 300 <= value <= 20000 else None
    if key == "occupants_count":
        return value if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 12 else None
    if key == "has_pets":
        return value if isinstance(value, bool) else None
    if key == "pet_details":
        if isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, int) for k, v in value.items()):
            return value
        return None
    if key == "desired_features":
        return [str(item)[:60] for item in value][:20] if isinstance(value, list) else None
    return None
