"""Words prospects use for the things apartment FAQs talk about, and the term each stands for.

Prospects say "co-signer" where the FAQ says "guarantor", "gym" where it says "fitness center".
Both the FAQs and the question are expanded with the canonical term, so the lexical ranking
matches them; the question's embedding is computed on the expanded text as well, which pulls the
model towards the leasing sense of an everyday word.

The groups describe the domain (multifamily leasing), not any one property's FAQs.
"""

import re
from functools import cache

# What the FAQs say -> what prospects say for it (lowercase; multi-word phrases allowed). The key
# is itself a phrase to match, and it is what a question gets expanded with, so it should read
# like the words an FAQ would use.
ALIASES: dict[str, tuple[str, ...]] = {
    "guarantor": ("cosigner", "co signer", "cosign", "co sign", "cosigning", "guaranty", "guarantee", "sign for me"),
    "pet": ("pets", "dog", "dogs", "puppy", "cat", "cats", "kitten", "animal", "animals"),
    "parking": ("park", "car", "cars", "vehicle", "vehicles", "garage", "carport", "parking spot"),
    "washer and dryer": (
        "laundry",
        "washer",
        "dryer",
        "washing machine",
        "washing machines",
        "laundromat",
        "w d",
    ),
    "fitness center": ("gym", "workout", "work out", "exercise", "weights"),
    "pool": ("swim", "swimming"),
    "lease": ("contract", "rental agreement"),
    "sublet": (
        "sublease",
        "subleasing",
        "subletting",
        "airbnb",
        "vrbo",
        "rent out",
        "short term rental",
        "lease takeover",
        "take over",
        "lease transfer",
    ),
    "apartment": ("unit", "units", "apt", "flat"),
    "utilities": ("bills", "electric", "electricity", "water bill"),
    "internet": ("wifi", "wi fi", "broadband", "fiber", "cable"),
    "packages": (
        "package",
        "parcel",
        "parcels",
        "delivery",
        "deliveries",
        "amazon",
        "mail",
        "orders",
        "ups",
        "fedex",
        "usps",
    ),
    "smoking": ("smoke", "vape", "vaping", "cigarette", "cigarettes"),
    "move-in specials": (
        "special",
        "specials",
        "deal",
        "deals",
        "promotion",
        "promo",
        "discount",
        "discounts",
        "concession",
    ),
    "maintenance request": ("maintenance", "repair", "repairs", "fix", "fixed", "broken", "leak", "leaking"),
    "tour": ("tours", "showing", "showings", "see the apartment", "look at", "walkthrough", "walk through", "viewing"),
    "renters insurance": ("insurance", "tenant policy", "liability coverage"),
    "trash": ("garbage", "rubbish", "recycling", "waste"),
    "roommates": ("roommate", "room mate", "housemate", "live with", "move in with", "split the rent"),
    "wheelchair accessible": ("wheelchair", "accessible", "accessibility", "ada", "handicap", "mobility", "elevator"),
    "floor plans": ("floor plan", "layout", "layouts", "square feet", "sq ft"),
    "furnished": ("furniture", "furnishings", "couch", "sofa", "mattress", "dresser"),
    "storage": ("storage unit", "storage units", "bicycle", "bike"),
    "public transportation": ("bus", "train", "commute", "metro", "transit", "light rail", "get around"),
    "credit check": ("credit score", "bad credit", "background check", "eviction", "criminal", "screening"),
    "security": ("safe", "safety", "gate", "gated"),
    "guests": ("guest", "visitor", "visitors", "overnight"),
    "income": ("salary", "earn", "earnings", "pay stub", "pay stubs", "employment", "employer", "paycheck"),
    "security deposit": ("deposit", "put down", "down payment"),
    "late fee": ("grace period", "late charge", "late payment", "overdue", "past due"),
    "move in date": ("availability", "vacancy", "vacancies", "soonest", "earliest"),
}

_STOPWORD_TEXT = """a about an and any are as at be can could did do does for from get go have how i if in is it its me
    my of on or our so than that the their them there these they this to up us was we what when where
    which who will with would you your yours im id ive"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

_WORD = re.compile(r"[a-z0-9]+")
_JOINED = re.compile(r"(?<=[a-z])[-'](?=[a-z])")


def normalize(text: str) -> str:
    """Lowercase words separated by single spaces ("Co-signer's" -> "cosigners")."""
    return " ".join(_WORD.findall(_JOINED.sub("", text.lower())))


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _stemmed(text: str) -> str:
    """Normalized, with plurals folded ("guarantors" matches the alias "guarantor")."""
    return " ".join(_stem(word) for word in normalize(text).split())


def _phrases(canonical: str, variants: tuple[str, ...]) -> list[str]:
    return [_stemmed(canonical), *(_stemmed(variant) for variant in variants)]


@cache
def _phrase_pattern() -> re.Pattern:
    phrases = {phrase for canonical, variants in ALIASES.items() for phrase in _phrases(canonical, variants)}
    alternatives = "|".join(re.escape(phrase) for phrase in sorted(phrases, key=len, reverse=True))
    return re.compile(rf"\b(?:{alternatives})\b")


@cache
def _canonical_of() -> dict[str, str]:
    return {phrase: canonical for canonical, variants in ALIASES.items() for phrase in _phrases(canonical, variants)}


def canonical_terms(text: str) -> list[str]:
    """The canonical terms that the text mentions, itself or through an alias, in order."""
    canonical_of = _canonical_of()
    found = (canonical_of[match.group(0)] for match in _phrase_pattern().finditer(_stemmed(text)))
    return list(dict.fromkeys(found))


def expand(text: str) -> str:
    """The text followed by the canonical terms it implies but does not say."""
    stemmed = f" {_stemmed(text)} "
    extra = [term for term in canonical_terms(text) if f" {_stemmed(term)} " not in stemmed]
    return f"{text} ({', '.join(extra)})" if extra else text


def lexical_terms(text: str) -> list[str]:
    """Terms for BM25: stemmed words without stopwords, plus a marked term per canonical term."""
    words = [_stem(word) for word in normalize(text).split() if word not in STOPWORDS]
    return words + ["~" + term for term in canonical_terms(text)]
