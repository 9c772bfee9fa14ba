"""Qualification fields read from a prospect's free text.

Each extractor takes one message and answers None when it finds nothing, so the caller only ever
overwrites a field with something the prospect actually said. They are deliberately conservative:
"do you allow dogs?" is a question, not a pet; "May I ask..." is not a move-in month; "2br" is not
a budget. `expecting` names the field the bot has just asked about, which lets a bare answer
("3", "March", "yes") count for that field only.
"""

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

WORD_NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "single": 1,
    "two": 2,
    "couple": 2,
    "pair": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
}
_NUM = r"(?:\d{1,2}|a|an|one|two|three|four|five|six|seven|eight)"


def _to_int(token: str) -> int | None:
    token = token.lower()
    if token.isdigit():
        return int(token)
    return WORD_NUMBERS.get(token)


# --- pets -------------------------------------------------------------------------------------
PET_WORDS = {
    "dog": "dog",
    "dogs": "dog",
    "puppy": "dog",
    "puppies": "dog",
    "pup": "dog",
    "cat": "cat",
    "cats": "cat",
    "kitten": "cat",
    "kittens": "cat",
    "kitty": "cat",
    "bird": "bird",
    "birds": "bird",
    "parrot": "bird",
    "fish": "fish",
    "rabbit": "rabbit",
    "rabbits": "rabbit",
    "bunny": "rabbit",
    "hamster": "hamster",
    "hamsters": "hamster",
    "guinea pig": "guinea pig",
    "guinea pigs": "guinea pig",
    "ferret": "ferret",
    "ferrets": "ferret",
    "lizard": "reptile",
    "snake": "reptile",
    "turtle": "reptile",
    "reptile": "reptile",
}
_PET = r"(?:guinea pigs?|puppies|puppy|pup|dogs?|cats?|kittens?|kitty|birds?|parrot|fish|rabbits?|bunny|hamsters?|ferrets?|lizard|snake|turtle|reptile)"  # noqa: E501
# Words that make "dog" something other than an animal living with the prospect.
_PET_NOT_OWNED = re.compile(r"\b(?:hot dogs?|dog park|dog run|dog wash|cat ?walk|allergic to)\b", re.I)
_NO_PETS = re.compile(
    r"\b(?:no pets?|no animals|pet[- ]free|without (?:any )?pets|(?:don't|dont|do not|doesn't|won't|will not) have (?:any )?(?:pets?|animals)|not bringing (?:any )?pets?|zero pets)\b",  # noqa: E501
    re.I,
)
_OWN_VERB = r"(?:have|own|got|have got|bring|bringing|am bringing|are bringing|with)"
_PET_GROUP = rf"((?:(?:{_NUM}|some)\s+(?:small |big |large |little |senior |young |old |indoor |outdoor )?{_PET}(?:\s*(?:,|and|&)\s*)?)+)"  # noqa: E501
_SUBJECT = r"(?:i|we|i'll|we'll|i'm|we're|i've|we've|me|(?:me|i|my \w+) and (?:my |our )?\w+)"
# "we have a dog", and the subject carried over: "we need a 2br and have a dog".
_OWNED_LIST = re.compile(rf"\b(?:{_SUBJECT}|and)\s+(?:also\s+)?{_OWN_VERB}\s+{_PET_GROUP}", re.I)
_POSSESSIVE = re.compile(rf"\b(?:my|our)\s+(?:\w+\s+)?(?:two |2 |three |3 )?({_PET})\b", re.I)
_PET_ITEM = re.compile(
    rf"({_NUM}|some)\s+(?:small |big |large |little |senior |young |old |indoor |outdoor )?({_PET})", re.I
)


def extract_pets(text: str, *, expecting: str | None = None) -> tuple[bool, dict] | None:
    """(has_pets, {"dog": 1, "cat": 2}) from statements of ownership; questions do not count."""
    if _NO_PETS.search(text):
        return False, {}
    counts: dict[str, int] = {}
    for sentence in _SENTENCE.split(text):
        if _is_question(sentence):
            continue
        cleaned = _PET_NOT_OWNED.sub(" ", sentence)
        for match in _OWNED_LIST.finditer(cleaned):
            for count_word, pet in _PET_ITEM.findall(match.group(1)):
                kind = PET_WORDS[pet.lower()]
                counts[kind] = counts.get(kind, 0) + (_to_int(count_word) or 1)
        for pet in _POSSESSIVE.findall(cleaned):
            kind = PET_WORDS[pet.lower()]
            counts.setdefault(kind, 2 if pet.lower().endswith("s") and kind != "fish" else 1)
    if counts:
        return True, counts
    if expecting == "has_pets":
        answer = _yes_no(text)
        if answer is not None:
            return answer, {}
    return None


_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_QUESTION_START = re.compile(r"^\s*(?:can|may|could|do|does|is|are|will|would|should|what|how|any)\b", re.I)


def _is_question(sentence: str) -> bool:
    return sentence.rstrip().endswith("?") or bool(_QUESTION_START.match(sentence))


def _yes_no(text: str) -> bool | None:
    lowered = text.strip().lower()
    if re.match(r"^(?:yes|yeah|yep|yup|sure|i do|we do|correct)\b", lowered):
        return True
    if re.match(r"^(?:no|nope|nah|none|i don't|we don't|not really)\b", lowered):
        return False
    return None


# --- move-in date -----------------------------------------------------------------------------
_MONTHS = {name.lower(): index for index, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): index for index, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_MONTH = r"(?:january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)"  # noqa: E501
_PART = r"(?P<part>early|beginning of|start of|first of|mid|middle of|late|end of)"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_MOVE_CONTEXT = r"(?:mov(?:e|ing)(?:[- ]in)?|move-in|start(?:ing)?|lease|relocat(?:e|ing)|available|need (?:it|a place)|looking|by|in|around|on|for|before|after|starting|from)"  # noqa: E501
_MONTH_WITH_DAY = re.compile(rf"\b(?P<month>{_MONTH})\.?\s+{_DAY}\b(?!\s*(?:br|bed|bd|dogs?|cats?|people))", re.I)
_DAY_OF_MONTH = re.compile(rf"\b(?:the\s+)?{_DAY}\s+of\s+(?P<month>{_MONTH})\b", re.I)
_PART_OF_MONTH = re.compile(rf"\b{_PART}[- ]?(?P<month>{_MONTH})\b", re.I)
_MONTH_IN_CONTEXT = re.compile(
    rf"\b{_MOVE_CONTEXT}\s+(?:(?:the\s+)?(?:month of\s+)?)(?P<month>{_MONTH})\b(?!\s+i\b)", re.I
)
# Not "a 2/2" (two bedrooms, two baths) nor "$1,800/mo".
_NUMERIC_DATE = re.compile(
    r"(?<!\ba )(?<![$\d,])\b(?P<m>\d{1,2})/(?P<d>\d{1,2})(?:/(?P<y>\d{2,4}))?\b(?!\s*(?:ba|bath|br|bd|bed))", re.I
)
_ISO_DATE = re.compile(r"\b(?P<y>20\d{2})-(?P<m>\d{2})-(?P<d>\d{2})\b")
_RELATIVE = re.compile(
    r"\bin\s+(?P<n>\d{1,2}|a|an|one|two|three|four|five|six)\s+(?P<unit>days?|weeks?|months?)\b", re.I
)
_ASAP = re.compile(r"\b(?:asap|as soon as possible|immediately|right away|right now)\b", re.I)
_NEXT_MONTH = re.compile(r"\bnext month\b", re.I)
_PART_DAY = {
    "early": 5,
    "beginning of": 1,
    "start of": 1,
    "first of": 1,
    "mid": 15,
    "middle of": 15,
    "late": 25,
    "end of": 28,
}


def _future(year: int, month: int, day: int, today: date) -> date | None:
    day = min(day, calendar.monthrange(year, month)[1])
    candidate = date(year, month, day)
    if candidate < today:
        candidate = date(year + 1, month, min(day, calendar.monthrange(year + 1, month)[1]))
    return candidate


def extract_move_in(text: str, *, today: date, expecting: str | None = None) -> date | None:
    """A move-in date, always today or later ("mid-March" in April means next March)."""
    if _ASAP.search(text):
        return today
    if match := _ISO_DATE.search(text):
        try:
            return date(int(match["y"]), int(match["m"]), int(match["d"]))
        except ValueError:
            return None
    if match := _NUMERIC_DATE.search(text):
        month, day = int(match["m"]), int(match["d"])
        if 1 <= month <= 12 and 1 <= day <= 31 and "$" not in text[max(match.start() - 1, 0) : match.start()]:
            year = match["y"]
            if year:
                year = int(year) + (2000 if len(year) == 2 else 0)
                try:
                    return date(year, month, min(day, calendar.monthrange(year, month)[1]))
                except ValueError:
                    return None
            return _future(today.year, month, day, today)
    for pattern in (_DAY_OF_MONTH, _MONTH_WITH_DAY):
        if match := pattern.search(text):
            day = int(match["day"])
            if 1 <= day <= 31:
                return _future(today.year, _MONTHS[match["month"].lower()], day, today)
    if match := _PART_OF_MONTH.search(text):
        return _future(today.year, _MONTHS[match["month"].lower()], _PART_DAY[match["part"].lower()], today)
    if match := _MONTH_IN_CONTEXT.search(text):
        return _future(today.year, _MONTHS[match["month"].lower()], 1, today)
    if match := _RELATIVE.search(text):
        amount = _to_int(match["n"]) or 1
        unit = match["unit"].lower()
        if unit.startswith("day"):
            return today + timedelta(days=amount)
        if unit.startswith("week"):
            return today + timedelta(weeks=amount)
        month_index = today.month - 1 + amount
        year, month = today.year + month_index // 12, month_index % 12 + 1
        return date(year, month, min(today.day, calendar.monthrange(year, month)[1]))
    if _NEXT_MONTH.search(text):
        year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
        return date(year, month, 1)
    if expecting == "move_in_date" and (
        match := re.fullmatch(rf"\s*(?:in\s+)?(?P<month>{_MONTH})\.?\s*[.!]?\s*", text, re.I)
    ):
        return _future(today.year, _MONTHS[match["month"].lower()], 1, today)
    return None


# --- budget -----------------------------------------------------------------------------------
_AMOUNT = r"\$?\s?(\d{1,2}(?:,\d{3})|\d{3,5}(?:\.\d{2})?|\d{1,2}(?:\.\d)?\s?k)"
# Words that make a bare number a budget; without one, a number needs "$", "k" or "/mo".
_BUDGET_WORDS = re.compile(r"\b(?:budget|rent|afford|spend|pay|price range|between)\b", re.I)
_MONEY_MARK = re.compile(r"\$|\d\s?k\b|/\s?mo(?:nth)?\b|\b(?:a|per) month\b|\bmonthly\b|\bdollars\b|\bbucks\b", re.I)
_RANGE = re.compile(rf"(?:between\s+)?{_AMOUNT}\s*(?:-|–|to|and)\s*{_AMOUNT}", re.I)
_MAX = re.compile(
    rf"\b(?:under|below|less than|at most|up to|no more than|max(?:imum)?(?: of)?|not more than|cap(?:ped)? at)\s+{_AMOUNT}",  # noqa: E501
    re.I,
)
_MIN = re.compile(rf"\b(?:at least|over|more than|above|minimum(?: of)?|starting at)\s+{_AMOUNT}", re.I)
_AROUND = re.compile(rf"\b(?:around|about|roughly|approximately|approx\.?|close to|near|~)\s*{_AMOUNT}", re.I)
_ANY_AMOUNT = re.compile(_AMOUNT, re.I)


def _money(raw: str) -> int | None:
    raw = raw.replace(",", "").replace(" ", "").lower()
    value = float(raw[:-1]) * 1000 if raw.endswith("k") else float(raw)
    value = round(value)
    return value if 300 <= value <= 20000 else None


def extract_budget(text: str, *, expecting: str | None = None) -> tuple[int | None, int | None] | None:
    """(price_range_min, price_range_max) in dollars a month. "around X" means X ± 10%."""
    strong = bool(_BUDGET_WORDS.search(text)) or expecting == "budget"
    if not (strong or _MONEY_MARK.search(text)):
        return None
    if match := _RANGE.search(text):
        low, high = _money(match.group(1)), _money(match.group(2))
        if low and high and low < high:
            return low, high
    if (match := _MAX.search(text)) and (value := _money(match.group(1))):
        return None, value
    if (match := _MIN.search(text)) and (value := _money(match.group(1))):
        return value, None
    if (match := _AROUND.search(text)) and (value := _money(match.group(1))):
        return int(round(value * 0.9, -1)), int(round(value * 1.1, -1))
    for match in _ANY_AMOUNT.finditer(text):
        raw = match.group(0)
        # A bare number only counts with a $ sign, a "k", or when the bot asked for the budget.
        if "$" not in raw and not raw.lower().rstrip().endswith("k") and not strong:
            after = text[match.end() : match.end() + 12].lower()
            if not re.match(r"\s*(?:/\s?mo|a month|per month|monthly|dollars|bucks)", after):
                continue
        if value := _money(match.group(1)):
            return None, value
    return None


# --- bedrooms ---------------------------------------------------------------------------------
_BEDROOMS = re.compile(
    rf"\b({_NUM}|\d)\s*[- ]?\s*(?:br|bd|bdr|bdrm|bdrms|bed|beds|bedroom|bedrooms|b/\d|bed/\d)\b(?!\s*(?:-|\s)?\s*(?:bath|ba\b))",  # noqa: E501
    re.I,
)
_STUDIO = re.compile(r"\b(?:studio|efficiency|bachelor)\b", re.I)
_SIZE_ANSWER = re.compile(r"^\s*(\d|one|two|three|four)\s*[.!]?\s*$", re.I)


def extract_bedrooms(text: str, *, expecting: str | None = None) -> str | None:
    """ "studio", "1br", "2br"... (the apartment_size_preference)."""
    if _STUDIO.search(text):
        return "studio"
    match = _BEDROOMS.search(text)
    if match is None and expecting == "apartment_size_preference":
        match = _SIZE_ANSWER.match(text)
    if match is None:
        return None
    count = _to_int(match.group(1))
    if count is None or not 1 <= count <= 5:
        return None
    return f"{count}br"


# --- occupants --------------------------------------------------------------------------------
_COMPANIONS = r"(?:partner|wife|husband|girlfriend|boyfriend|fianc[eé]e?|spouse|roommate|roomate|friend|sister|brother|mom|mother|dad|father|son|daughter|kid|child|cousin|significant other)"  # noqa: E501
_ALONE = re.compile(
    r"\b(?:just me|only me|just myself|i live alone|living alone|by myself|on my own|single occupant|me alone)\b", re.I
)
_ME_AND = re.compile(rf"\b(?:me|myself|i)\s+and\s+(?:my\s+)?(?:(?P<n>{_NUM})\s+)?{_COMPANIONS}s?\b", re.I)
_N_OF_US = re.compile(
    rf"\b(?:(?P<n>{_NUM})\s+of\s+us|there\s+(?:are|will be)\s+(?P<n2>{_NUM})\s+of\s+us|family of\s+(?P<n3>{_NUM})|party of\s+(?P<n4>{_NUM})|household of\s+(?P<n5>{_NUM}))\b",  # noqa: E501
    re.I,
)
_N_PEOPLE = re.compile(rf"\b(?P<n>{_NUM})\s+(?:people|persons|occupants|adults|residents|tenants|roommates)\b", re.I)
_PLUS_PEOPLE = re.compile(
    rf"\b(?P<a>{_NUM})\s+adults?\s+(?:and|&|\+)\s+(?P<b>{_NUM})\s+(?:kids?|child(?:ren)?|teens?|minors?)\b", re.I
)
_BARE_NUMBER = re.compile(r"^\s*(\d|one|two|three|four|five|six)\s*(?:people)?\s*[.!]?\s*$", re.I)


def extract_occupants(text: str, *, expecting: str | None = None) -> int | None:
    if match := _PLUS_PEOPLE.search(text):
        return (_to_int(match["a"]) or 0) + (_to_int(match["b"]) or 0) or None
    if _ALONE.search(text):
        return 1
    if match := _ME_AND.search(text):
        return 1 + (_to_int(match["n"]) if match["n"] else 1)
    if match := _N_OF_US.search(text):
        token = next(group for group in match.groups() if group)
        return _to_int(token)
    if match := _N_PEOPLE.search(text):
        value = _to_int(match["n"])
        return value if value and value <= 12 else None
    if expecting == "occupants_count" and (match := _BARE_NUMBER.match(text)):
        return _to_int(match.group(1))
    return None


# --- contact details --------------------------------------------------------------------------
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
_PHONE = re.compile(r"(?<![\d$/.,])(?:\+?1[\s.-]?)?\(?([2-9]\d{2})\)?[\s.-]?(\d{3})[\s.-]?(\d{4})(?![\d/])")
_NAME = re.compile(
    r"\b(?i:my name is|my name's|name is|this is|i am|i'm|call me|it's)\s+([A-Z][a-zA-Z'-]+)(?:\s+([A-Z][a-zA-Z'-]+))?",
)
_NOT_NAMES = {
    "Looking",
    "Interested",
    "Moving",
    "Just",
    "Not",
    "Here",
    "Wondering",
    "Trying",
    "Ready",
    "Planning",
    "Curious",
    "Currently",
    "Also",
    "Very",
    "So",
    "The",
    "A",
    "An",
    "Single",
    "Married",
    "Available",
    "Free",
}


def extract_email(text: str) -> str | None:
    match = _EMAIL.search(text)
    return match.group(0).lower() if match else None


def extract_phone(text: str) -> str | None:
    """A North American number, normalised to +1XXXXXXXXXX."""
    match = _PHONE.search(text)
    return f"+1{match.group(1)}{match.group(2)}{match.group(3)}" if match else None


def extract_name(text: str, *, expecting: str | None = None) -> tuple[str, str] | None:
    match = _NAME.search(text)
    if match and match.group(1) not in _NOT_NAMES:
        return match.group(1), (match.group(2) or "")
    if expecting == "name" and (
        bare := re.fullmatch(r"\s*([A-Za-z][a-z'-]+)(?:\s+([A-Za-z][a-z'-]+))?\s*[.!]?\s*", text)
    ):
        return bare.group(1).capitalize(), (bare.group(2) or "").capitalize()
    return None


# --- tours ------------------------------------------------------------------------------------
_WEEKDAYS = {name.lower(): index for index, name in enumerate(calendar.day_name)}
_CLOCK = re.compile(
    r"\b(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ampm>a\.?m\.?|p\.?m\.?)|\b(?:at\s+)(?P<h2>\d{1,2}):(?P<m2>\d{2})\b|\b(?P<noon>noon)\b",
    re.I,
)
_DAY_WORD = re.compile(
    r"\b(?P<word>today|tomorrow|(?:next\s+|this\s+)?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b",
    re.I,
)
_VIRTUAL = re.compile(r"\b(?:virtual(?:ly)?|video|facetime|zoom|online tour|remote(?:ly)?)\b", re.I)
_SELF_GUIDED = re.compile(r"\b(?:self[- ]guided|self[- ]tour|on my own|by myself)\b", re.I)


def extract_tour_type(text: str) -> str | None:
    if _VIRTUAL.search(text):
        return "virtual"
    if _SELF_GUIDED.search(text):
        return "self_guided"
    return None


def extract_tour_datetime(text: str, *, now: datetime) -> datetime | None:
    """A day and a clock time ("tomorrow at 2pm", "Saturday 10:30am", "3/14 at 11am") in now's zone."""
    clock = _CLOCK.search(text)
    if clock is None:
        return None
    if clock["noon"]:
        hour, minute = 12, 0
    elif clock["h"]:
        hour, minute = int(clock["h"]), int(clock["m"] or 0)
        if not 1 <= hour <= 12:
            return None
        ampm = clock["ampm"].lower().replace(".", "")
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    else:
        hour, minute = int(clock["h2"]), int(clock["m2"])
    if hour > 23 or minute > 59:
        return None
    today = now.date()
    day = None
    if match := _DAY_WORD.search(text):
        word = match["word"].lower()
        if word == "today":
            day = today
        elif word == "tomorrow":
            day = today + timedelta(days=1)
        else:
            weekday = _WEEKDAYS[word.split()[-1]]
            ahead = (weekday - today.weekday()) % 7
            if word.startswith("next") and ahead == 0:
                ahead = 7
            day = today + timedelta(days=ahead)
    else:
        without_clock = text[: clock.start()] + text[clock.end() :]
        day = extract_move_in(without_clock, today=today)
    if day is None:
        return None
    moment = datetime.combine(day, time(hour, minute), tzinfo=now.tzinfo)
    return moment if moment > now else None


# --- features ---------------------------------------------------------------------------------
FEATURES = {
    "in-unit laundry": r"\b(?:in[- ]unit (?:laundry|washer)|washer(?: and|/| &) ?dryer|w/d)\b",
    "parking": r"\b(?:parking|garage|carport)\b",
    "pool": r"\bpool\b",
    "fitness center": r"\b(?:gym|fitness)\b",
    "balcony": r"\b(?:balcony|patio)\b",
    "dishwasher": r"\bdishwasher\b",
    "air conditioning": r"\b(?:a/c|air conditioning|central air)\b",
    "pet friendly": r"\bpet[- ]friendly\b",
    "elevator": r"\belevator\b",
    "hardwood floors": r"\bhardwood\b",
}
_WANT = re.compile(
    r"\b(?:want|need|looking for|prefer|would like|must have|has to have|with|need a|hoping for)\b", re.I
)


def extract_features(text: str) -> list[str]:
    """Features the prospect says they want (questions about them are asked with '?')."""
    if not _WANT.search(text) or text.strip().endswith("?"):
        return []
    return [name for name, pattern in FEATURES.items() if re.search(pattern, text, re.I)]


_WORK = re.compile(
    r"\b(?:i work (?:at|in|near|for)|my (?:office|job|work) is (?:at|in|near)|commut(?:e|ing) to)\s+([A-Za-z0-9 .&'-]{2,60}?)(?:[.,!?;]|$| and )",  # noqa: E501
    re.I,
)
_REASON = re.compile(
    r"\b(?:moving|relocating|looking to move)\b[^.?!]*?\b(?:because|for|due to)\s+([^.?!]{3,120})", re.I
)


def extract_work_location(text: str) -> str | None:
    match = _WORK.search(text)
    return match.group(1).strip() if match else None


def extract_reason_for_moving(text: str) -> str | None:
    match = _REASON.search(text)
    return match.group(1).strip() if match else None


def _without_contact_and_dates(text: str) -> str:
    """Phone numbers, emails and dates hold digits that must not be read as a budget."""
    for pattern in (_EMAIL, _PHONE, _ISO_DATE, _NUMERIC_DATE):
        text = pattern.sub(" ", text)
    return text


@dataclass
class Extracted:
    """Everything one message told us, as model field values."""

    conversation: dict = field(default_factory=dict)
    prospect: dict = field(default_factory=dict)

    def __bool__(self):
        return bool(self.conversation or self.prospect)


def extract_all(text: str, *, today: date, expecting: str | None = None) -> Extracted:
    found = Extracted()
    if (pets := extract_pets(text, expecting=expecting)) is not None:
        found.conversation["has_pets"], details = pets
        if details:
            found.conversation["pet_details"] = details
    if (move_in := extract_move_in(text, today=today, expecting=expecting)) is not None:
        found.conversation["move_in_date"] = move_in
    if (budget := extract_budget(_without_contact_and_dates(text), expecting=expecting)) is not None:
        low, high = budget
        if low is not None:
            found.conversation["price_range_min"] = low
        if high is not None:
            found.conversation["price_range_max"] = high
    if (size := extract_bedrooms(text, expecting=expecting)) is not None:
        found.conversation["apartment_size_preference"] = size
    if (occupants := extract_occupants(text, expecting=expecting)) is not None:
        found.conversation["occupants_count"] = occupants
    if features := extract_features(text):
        found.conversation["desired_features"] = features
    if work := extract_work_location(text):
        found.conversation["work_location"] = work
    if reason := extract_reason_for_moving(text):
        found.conversation["reason_for_moving"] = reason
    if email := extract_email(text):
        found.prospect["email"] = email
    if phone := extract_phone(text):
        found.prospect["phone"] = phone
    if name := extract_name(text, expecting=expecting):
        found.prospect["first_name"], last = name
        if last:
            found.prospect["last_name"] = last
    return found
