"""The local reply engine: no network, deterministic, good enough to qualify a lead on its own."""

from datetime import datetime, timedelta

from conversations.bot import extraction, guardrails, intents
from conversations.bot.base import (
    BOOK_TOUR,
    ESCALATE_QUESTION,
    HANDOFF_REQUEST,
    TOUR_REQUEST,
    Action,
    BotContext,
    BotReply,
)

# What the bot asks for, in order, once the prospect's own questions are answered.
QUESTIONS = [
    ("move_in_date", "When are you hoping to move in?"),
    ("apartment_size_preference", "How many bedrooms are you looking for (studio, 1, 2 or 3)?"),
    ("budget", "What monthly rent are you aiming for?"),
    ("occupants_count", "How many people will be living in the home?"),
    ("has_pets", "Will any pets be moving in with you?"),
    ("contact", "What's the best email or phone number to reach you?"),
    ("name", "And what name should I put down for you?"),
]
UNANSWERED_REPLY = (
    "Good question. I don't have that answer yet, so I've passed it to our leasing team; "
    "a person will follow up with you here soon."
)
SUGGESTION_REPLY = (
    'This may help, from our FAQ "{question}": {answer} '
    "In case it doesn't answer your question, I've passed it to our leasing team; a person will follow up here."
)
HANDOFF_REPLY = "I've asked our leasing team to join. Someone will be with you here shortly."


def _known(lead: dict, contact: dict, key: str) -> bool:
    if key == "budget":
        return lead.get("price_range_min") is not None or lead.get("price_range_max") is not None
    if key == "contact":
        return bool(contact.get("email") or contact.get("phone"))
    if key == "name":
        return bool(contact.get("first_name"))
    return lead.get(key) not in (None, "", [], {})


def _acknowledge(found: extraction.Extracted) -> str:
    values = found.conversation
    parts = []
    if size := values.get("apartment_size_preference"):
        parts.append("a studio" if size == "studio" else f"{size[0]} bedroom{'s' if size[0] != '1' else ''}")
    if move_in := values.get("move_in_date"):
        parts.append(f"moving in around {move_in:%B} {move_in.day}, {move_in.year}")
    low, high = values.get("price_range_min"), values.get("price_range_max")
    if low and high:
        parts.append(f"a budget of ${low:,}-${high:,} a month")
    elif high:
        parts.append(f"a budget of up to ${high:,} a month")
    elif low:
        parts.append(f"a budget from ${low:,} a month")
    if (occupants := values.get("occupants_count")) is not None:
        parts.append("just you" if occupants == 1 else f"{occupants} people")
    if values.get("has_pets") is True:
        pets = values.get("pet_details") or {}
        described = " and ".join(
            f"{count} {kind}{'s' if count > 1 and kind != 'fish' else ''}" for kind, count in pets.items()
        )
        parts.append(f"moving with {described}" if described else "moving with pets")
    elif values.get("has_pets") is False:
        parts.append("no pets")
    if found.prospect.get("email") or found.prospect.get("phone"):
        parts.append("your contact details")
    if not parts:
        return ""
    return "Got it: " + ", ".join(parts) + "."


def _format_slot(moment) -> str:
    return f"{moment:%a %b} {moment.day} at {moment:%I:%M %p}".replace(" 0", " ")


class LocalEngine:
    name = "local"

    def reply(self, context: BotContext) -> BotReply:
        text = context.text.strip()
        state = dict(context.state)
        expecting = state.pop("expecting", None)
        lead, contact = dict(context.lead), dict(context.contact)
        found = extraction.extract_all(text, today=context.now.date(), expecting=expecting)
        lead.update(found.conversation)
        contact.update(found.prospect)
        protected = guardrails.is_protected_topic(text)
        detected = intents.detect(
            text, has_contact=bool(found.prospect.get("email") or found.prospect.get("phone")), protected=protected
        )
        reply = BotReply(
            text="",
            engine=self.name,
            conversation_updates=dict(found.conversation),
            prospect_updates=dict(found.prospect),
            intents=detected,
            state=state,
        )
        if protected:
            reply.text = guardrails.FAIR_HOUSING_REPLY
            return reply

        parts: list[str] = []
        asked = False
        if acknowledgement := _acknowledge(found):
            parts.append(acknowledgement)

        tour_moment = extraction.extract_tour_datetime(text, now=context.now)
        tour_type = extraction.extract_tour_type(text) or state.get("tour_type") or "in_person"
        wants_tour = intents.TOUR_REQUEST in detected or (expecting == "tour_time" and tour_moment is not None)
        if tour_moment is None and state.get("pending_tour") and _known(lead, contact, "contact"):
            wants_tour, tour_moment = True, _parse_iso(state["pending_tour"], context)

        if intents.HANDOFF_REQUEST in detected:
            reply.actions.append(Action(HANDOFF_REQUEST, {"message": text}))
            parts.append(HANDOFF_REPLY)
            if not _known(lead, contact, "contact"):
                parts.append("In case we miss you here, what's the best email or phone number to reach you?")
                state["expecting"] = "contact"
            reply.text = " ".join(parts)
            return reply

        if wants_tour:
            asked = self._tour(context, reply, state, parts, lead, contact, tour_moment, tour_type)
        elif _answerable(detected, text):
            self._answer(context, reply, parts, text, detected)
        elif intents.GREETING in detected and not parts:
            welcome = (
                context.property.chatbot_welcome_message or f"Hi! Thanks for your interest in {context.property.name}."
            )
            parts.append(welcome)
        elif intents.THANKS in detected and not parts:
            parts.append("You're welcome!")

        if not asked:
            for key, question in QUESTIONS:
                if not _known(lead, contact, key):
                    parts.append(question)
                    state["expecting"] = key if key != "budget" else "budget"
                    break
            else:
                if not lead.get("is_book_tour") and not state.get("offered_tour") and not wants_tour:
                    parts.append("Would you like to schedule a tour? Just tell me a day and time that suits you.")
                    state["offered_tour"] = True
                    state["expecting"] = "tour_time"
                elif not parts:
                    parts.append("Is there anything else I can help you with?")
        reply.text = " ".join(parts)
        return reply

    def _answer(self, context, reply, parts, text, detected) -> None:
        knowledge = context.knowledge
        found = knowledge.faq_answer(text) if knowledge else None
        if found is not None and found.sure:
            parts.append(found.answer)
            return
        if found is not None:
            reply.actions.append(Action(ESCALATE_QUESTION, {"question": text}))
            parts.append(SUGGESTION_REPLY.format(question=found.question.rstrip("?"), answer=found.answer))
            return
        amenity = knowledge.amenity_mentioned(text) if knowledge else None
        if amenity and intents.is_question(text):
            parts.append(f"Yes! {context.property.name} lists {amenity} among its amenities.")
            return
        reply.actions.append(Action(ESCALATE_QUESTION, {"question": text}))
        parts.append(UNANSWERED_REPLY)

    def _tour(self, context, reply, state, parts, lead, contact, moment, tour_type) -> bool:
        """Returns whether it asked the prospect something (so no other question is added)."""
        state["tour_type"] = tour_type
        if moment is None:
            slots = []
            if context.knowledge is not None:
                start = context.now + timedelta(hours=2)
                slots = context.knowledge.tour_slots(start=start, end=start + timedelta(days=7), tour_type=tour_type)
            if slots:
                offered = ", ".join(_format_slot(slot.astimezone(context.now.tzinfo)) for slot in slots[:3])
                parts.append(f"I'd love to set up a tour. Open times include {offered}. Which works for you?")
            else:
                parts.append("I'd love to set up a tour! What day and time would suit you?")
            reply.actions.append(Action(TOUR_REQUEST, {"tour_type": tour_type}))
            state["expecting"] = "tour_time"
            return True
        if not _known(lead, contact, "contact") or not _known(lead, contact, "name"):
            state["pending_tour"] = moment.isoformat()
            parts.append(
                f"{_format_slot(moment)} it is. To book it, what's your name and the best email or phone number "
                "for you?"
            )
            state["expecting"] = "name" if _known(lead, contact, "contact") else "contact"
            return True
        state.pop("pending_tour", None)
        reply.actions.append(Action(BOOK_TOUR, {"start": moment.isoformat(), "tour_type": tour_type}))
        return True


def _answerable(detected: list[str], text: str) -> bool:
    """The prospect asked something (rather than only telling us about themselves)."""
    if {intents.FAQ_QUESTION, intents.PRICING, intents.AVAILABILITY} & set(detected):
        return True
    return intents.is_question(text) and bool({intents.PETS, intents.MOVE_IN, intents.BEDROOMS} & set(detected))


def _parse_iso(value: str, context: BotContext):
    moment = datetime.fromisoformat(value)
    return moment if moment > context.now else None
