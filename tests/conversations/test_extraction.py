"""The extraction rules, each on many phrasings, including ones that must not match."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from conversations.bot import extraction

TODAY = date(2026, 11, 24)  # a Tuesday
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("America/Chicago"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("we have a dog and a cat", (True, {"dog": 1, "cat": 1})),
        ("We have a dog and a cat.", (True, {"dog": 1, "cat": 1})),
        ("I have 2 dogs", (True, {"dog": 2})),
        ("I've got two cats", (True, {"cat": 2})),
        ("we're bringing two cats and a dog", (True, {"cat": 2, "dog": 1})),
        ("I own a small dog", (True, {"dog": 1})),
        ("my cat is 12 years old", (True, {"cat": 1})),
        ("our puppy needs a yard", (True, {"dog": 1})),
        ("I have a bird", (True, {"bird": 1})),
        ("we have a guinea pig", (True, {"guinea pig": 1})),
        ("me and my husband have one cat", (True, {"cat": 1})),
        ("Hi! We need a 2br and have a dog", (True, {"dog": 1})),
        ("no pets", (False, {})),
        ("No pets here!", (False, {})),
        ("we don't have any pets", (False, {})),
        ("I do not have pets", (False, {})),
        ("we're pet-free", (False, {})),
    ],
)
def test_pets_from_statements(text, expected):
    assert extraction.extract_pets(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "do you allow dogs?",
        "Are cats allowed?",
        "is there a dog park?",
        "I'm allergic to cats",
        "what is the pet policy",
        "any pet fees for dogs?",
        "we love hot dogs",
        "2br please",
    ],
)
def test_pets_not_from_questions_or_other_uses_of_the_words(text):
    assert extraction.extract_pets(text) is None


@pytest.mark.parametrize(("text", "expected"), [("yes", (True, {})), ("Nope", (False, {})), ("yeah we do", (True, {}))])
def test_pets_from_a_bare_answer_only_when_asked(text, expected):
    assert extraction.extract_pets(text, expecting="has_pets") == expected
    assert extraction.extract_pets(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("moving mid-March", date(2027, 3, 15)),
        ("We're moving mid March", date(2027, 3, 15)),
        ("early April", date(2027, 4, 5)),
        ("late December", date(2026, 12, 25)),
        ("end of January", date(2027, 1, 28)),
        ("looking to move in May", date(2027, 5, 1)),
        ("by March 3rd", date(2027, 3, 3)),
        ("March 3", date(2027, 3, 3)),
        ("the 1st of June", date(2027, 6, 1)),
        ("on 12/15", date(2026, 12, 15)),
        ("move in 1/5/2027", date(2027, 1, 5)),
        ("2027-02-01", date(2027, 2, 1)),
        ("in two weeks", date(2026, 12, 8)),
        ("in 3 months", date(2027, 2, 24)),
        ("next month", date(2026, 12, 1)),
        ("ASAP please", TODAY),
        ("I need to move immediately", TODAY),
        ("moving in November", date(2027, 11, 1)),
    ],
)
def test_move_in_dates(text, expected):
    assert extraction.extract_move_in(text, today=TODAY) == expected


@pytest.mark.parametrize(
    "text",
    [
        "May I ask about parking?",
        "a 2/2 please",
        "$1,800/mo",
        "I have 2 dogs",
        "my budget is 1800",
        "we march on",
        "what's included in rent?",
    ],
)
def test_no_move_in_date(text):
    assert extraction.extract_move_in(text, today=TODAY) is None


def test_a_bare_month_counts_only_when_the_bot_asked_for_the_move_in():
    assert extraction.extract_move_in("March", today=TODAY, expecting="move_in_date") == date(2027, 3, 1)
    assert extraction.extract_move_in("March", today=TODAY) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("around $1,800", (1620, 1980)),
        ("about 1800 a month", (1620, 1980)),
        ("under 2k", (None, 2000)),
        ("rent under $2,000 please", (None, 2000)),
        ("no more than $1500", (None, 1500)),
        ("between 1500 and 2000", (1500, 2000)),
        ("$1,400 - $1,700", (1400, 1700)),
        ("my budget is 1800", (None, 1800)),
        ("$1,800/mo", (None, 1800)),
        ("1800 a month", (None, 1800)),
        ("I can pay 1.5k", (None, 1500)),
        ("at least $1200", (1200, None)),
    ],
)
def test_budgets(text, expected):
    assert extraction.extract_budget(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2br",
        "I was born in 1990",
        "unit 1800 looks nice",
        "call me at 512-555-0199",
        "my budget is 2 bedrooms",
        "we have 3 kids",
        "moving in 2027",
        "$50 application fee?",
    ],
)
def test_no_budget(text):
    assert extraction.extract_budget(text) is None


def test_budget_in_a_message_with_a_phone_number_ignores_the_phone():
    found = extraction.extract_all("call me at 512-555-0199, my budget is $1,700", today=TODAY)
    assert found.conversation["price_range_max"] == 1700
    assert found.prospect["phone"] == "+15125550199"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2br", "2br"),
        ("a 2 bed", "2br"),
        ("two bedrooms", "2br"),
        ("one-bedroom", "1br"),
        ("1 bedroom", "1br"),
        ("3bd/2ba", "3br"),
        ("2 bed 2 bath", "2br"),
        ("3 BR", "3br"),
        ("a studio", "studio"),
        ("Studio apartment please", "studio"),
    ],
)
def test_bedrooms(text, expected):
    assert extraction.extract_bedrooms(text) == expected


@pytest.mark.parametrize("text", ["2 bath", "I have 2 dogs", "bedroom furniture", "2 people", "10 bedrooms"])
def test_no_bedrooms(text):
    assert extraction.extract_bedrooms(text) is None


def test_a_bare_bedroom_count_only_when_asked():
    assert extraction.extract_bedrooms("2", expecting="apartment_size_preference") == "2br"
    assert extraction.extract_bedrooms("2") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("just me", 1),
        ("I live alone", 1),
        ("me and my partner", 2),
        ("me and my 2 roommates", 3),
        ("two of us", 2),
        ("there will be 3 of us", 3),
        ("family of four", 4),
        ("3 people", 3),
        ("2 adults and 1 kid", 3),
    ],
)
def test_occupants(text, expected):
    assert extraction.extract_occupants(text) == expected


@pytest.mark.parametrize("text", ["2 dogs", "2br", "me and my dog", "3 bathrooms", "I have 2 cats"])
def test_no_occupants(text):
    assert extraction.extract_occupants(text) is None


def test_a_bare_occupant_count_only_when_asked():
    assert extraction.extract_occupants("3", expecting="occupants_count") == 3
    assert extraction.extract_occupants("3") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jane@example.com", "jane@example.com"),
        ("Email me at Jane.Doe+apt@Example.COM please", "jane.doe+apt@example.com"),
    ],
)
def test_emails(text, expected):
    assert extraction.extract_email(text) == expected


@pytest.mark.parametrize("text", ["jane at example dot com", "@handle", "user@localhost"])
def test_no_email(text):
    assert extraction.extract_email(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(512) 555-0199", "+15125550199"),
        ("512-555-0199", "+15125550199"),
        ("512.555.0199", "+15125550199"),
        ("+1 512 555 0199", "+15125550199"),
        ("call 5125550199", "+15125550199"),
    ],
)
def test_phones(text, expected):
    assert extraction.extract_phone(text) == expected


@pytest.mark.parametrize("text", ["$1,800", "12/15/2026", "2br", "unit 1234", "555-0199"])
def test_no_phone(text):
    assert extraction.extract_phone(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my name is Jane Doe", ("Jane", "Doe")),
        ("I'm Jo", ("Jo", "")),
        ("This is Sam", ("Sam", "")),
        ("call me Alex", ("Alex", "")),
    ],
)
def test_names(text, expected):
    assert extraction.extract_name(text) == expected


@pytest.mark.parametrize("text", ["I'm looking for a 2br", "I'm interested", "this is great", "I am moving in May"])
def test_no_name(text):
    assert extraction.extract_name(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tomorrow at 2pm", datetime(2026, 11, 25, 14, 0)),
        ("Saturday 10:30am", datetime(2026, 11, 28, 10, 30)),
        ("next tuesday at 3 pm", datetime(2026, 12, 1, 15, 0)),
        ("12/1 at 11am", datetime(2026, 12, 1, 11, 0)),
        ("today at noon", datetime(2026, 11, 24, 12, 0)),
    ],
)
def test_tour_times(text, expected):
    assert extraction.extract_tour_datetime(text, now=NOW) == expected.replace(tzinfo=NOW.tzinfo)


@pytest.mark.parametrize("text", ["I want 2 bedrooms", "tomorrow works", "at 2pm", "today at 8am"])
def test_no_tour_time(text):
    assert extraction.extract_tour_datetime(text, now=NOW) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("a virtual tour", "virtual"), ("can we do it over zoom", "virtual"), ("self-guided please", "self_guided")],
)
def test_tour_types(text, expected):
    assert extraction.extract_tour_type(text) == expected


def test_features_wanted_but_not_asked_about():
    assert extraction.extract_features("we need parking and in-unit laundry") == ["in-unit laundry", "parking"]
    assert extraction.extract_features("do you have parking?") == []


def test_one_message_fills_several_fields():
    found = extraction.extract_all(
        "Hi, I'm Jane Doe, we have a dog, looking for a 2br around $1,800 moving mid-March, jane@x.com",
        today=TODAY,
    )
    assert found.conversation == {
        "has_pets": True,
        "pet_details": {"dog": 1},
        "move_in_date": date(2027, 3, 15),
        "price_range_min": 1620,
        "price_range_max": 1980,
        "apartment_size_preference": "2br",
    }
    assert found.prospect == {"email": "jane@x.com", "first_name": "Jane", "last_name": "Doe"}


@pytest.mark.parametrize(
    "text",
    ["Can I have a dog?", "could we bring two cats", "I have a question about dogs", "Is a 2br ok and have a dog?"],
)
def test_pets_not_from_asking_permission(text):
    assert extraction.extract_pets(text) is None
