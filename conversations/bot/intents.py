"""Intents of a prospect's message, by keyword and pattern (the local engine's ear)."""

import re

GREETING = "greeting"
FAQ_QUESTION = "faq_question"
PRICING = "pricing"
AVAILABILITY = "availability"
TOUR_REQUEST = "tour_request"
CONTACT_DETAILS = "contact_details"
PETS = "pets"
MOVE_IN = "move_in"
BUDGET = "budget"
BEDROOMS = "bedrooms"
OCCUPANTS = "occupants"
HANDOFF_REQUEST = "handoff_request"
FAIR_HOUSING = "fair_housing"
THANKS = "thanks"

_PATTERNS = {
    GREETING: r"^\s*(?:hi|hello|hey|howdy|good (?:morning|afternoon|evening)|hiya|greetings)\b",
    PRICING: r"\b(?:price|prices|pricing|rent|rents|cost|costs|how much|rates?|specials?|deals?|fees?|deposit)\b",
    AVAILABILITY: r"\b(?:availab\w*|vacan\w*|units? (?:open|left|free)|any (?:units|apartments|openings)|move[- ]in ready)\b",  # noqa: E501
    TOUR_REQUEST: r"\b(?:tour|tours|visit|see the (?:place|apartment|unit|property)|showing|come (?:by|see|look)|walk[- ]?through|schedule a (?:viewing|visit))\b",  # noqa: E501
    PETS: r"\b(?:pets?|dogs?|cats?|puppy|kitten|animals?|breed)\b",
    MOVE_IN: r"\b(?:move[- ]?in|moving|move date|start (?:date|the lease))\b",
    BUDGET: r"\b(?:budget|afford|spend)\b",
    BEDROOMS: r"\b(?:\d\s*(?:br|bd|bed(?:room)?s?)|studio|bedrooms?|floor ?plans?)\b",
    OCCUPANTS: r"\b(?:roommates?|of us|people|occupants|just me|live alone)\b",
    HANDOFF_REQUEST: r"\b(?:(?:talk|speak|chat) (?:to|with) (?:a |an |the |someone|somebody|a real)?\s*(?:person|human|agent|someone|somebody|manager|leasing (?:agent|office|team)|representative|staff|real person)|real person|human being|customer service|call me|have someone (?:call|contact|reach)|representative)\b",  # noqa: E501
    THANKS: r"\b(?:thanks|thank you|thx|appreciate it)\b",
}
_COMPILED = {name: re.compile(pattern, re.I) for name, pattern in _PATTERNS.items()}
_QUESTION = re.compile(
    r"\?\s*$|^\s*(?:do|does|is|are|can|could|what|when|where|which|how|who|will|would|should|any)\b", re.I
)


def detect(text: str, *, has_contact: bool = False, protected: bool = False) -> list[str]:
    """Every intent the message shows, most specific first; a question with none is an FAQ question."""
    found = [name for name, pattern in _COMPILED.items() if pattern.search(text)]
    if protected:
        found.insert(0, FAIR_HOUSING)
    if has_contact:
        found.append(CONTACT_DETAILS)
    specific = set(found) - {GREETING, THANKS, CONTACT_DETAILS}
    if _QUESTION.search(text) and not specific:
        found.append(FAQ_QUESTION)
    return found


def is_question(text: str) -> bool:
    return bool(_QUESTION.search(text))
