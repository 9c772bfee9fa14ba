"""The reply engine contract: what an engine is given, and what it answers.

An engine never writes to the database. It reads the context, and answers with text, the fields it
learnt and the actions it wants (escalate a question, ask for a person, book a tour); the service
(`conversations.services.bot_respond`) applies them in one transaction.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

ESCALATE_QUESTION = "escalate_question"
HANDOFF_REQUEST = "handoff_request"
BOOK_TOUR = "book_tour"
TOUR_REQUEST = "tour_request"

CONTACT_FIELDS = ("first_name", "last_name", "email", "phone")


@dataclass
class Action:
    kind: str
    data: dict = field(default_factory=dict)


@dataclass
class BotContext:
    property: Any  # properties.models.Property
    text: str
    now: datetime  # aware, in the property's time zone
    lead: dict = field(default_factory=dict)
    contact: dict = field(default_factory=dict)
    history: list[tuple[str, str]] = field(default_factory=list)  # (sender, text), oldest first
    state: dict = field(default_factory=dict)
    knowledge: Any = None  # conversations.bot.knowledge.Knowledge


@dataclass
class BotReply:
    text: str
    engine: str
    conversation_updates: dict = field(default_factory=dict)
    prospect_updates: dict = field(default_factory=dict)
    intents: list[str] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    state: dict = field(default_factory=dict)
    fell_back: bool = False
    error: str = ""


class ReplyEngine(Protocol):
    name: str

    def reply(self, context: BotContext) -> BotReply: ...
