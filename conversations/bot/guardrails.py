"""Fair housing: the bot never asks about, comments on or steers by protected characteristics.

Inbound, a question about who lives somewhere (race, religion, national origin, familial status,
disability, sex, ...) is answered with the policy instead of an answer. Outbound, any engine's
reply that asks the prospect about such a characteristic is replaced, so a model's slip cannot
reach the prospect.
"""

import re

FAIR_HOUSING_REPLY = (
    "I'm not able to share or discuss information about the people who live here, or about "
    "race, color, religion, national origin, sex, familial status, disability or other protected "
    "characteristics. Fair housing laws protect everyone, and our homes are available to all "
    "qualified applicants. I'm happy to help with floor plans, pricing, amenities or a tour!"
)

_PROTECTED = (
    r"(?:race|racial|ethnic(?:ity)?|white|black|asian|hispanic|latino|latina|african|caucasian|"
    r"religio(?:n|us)|christians?|muslims?|jewish|jews|hindus?|church|mosque|synagogue|"
    r"national origin|immigrants?|foreigners?|nationalit(?:y|ies)|mexicans?|indians?|chinese|"
    r"famil(?:y|ies) with (?:kids|children)|kids|children|child-free|no kids|adults only|"
    r"singles|married couples|pregnan(?:t|cy)|"
    r"disab(?:led|ility|ilities)|handicap(?:ped)?|wheelchairs?|mental(?:ly)? ill(?:ness)?|"
    r"gay|lesbian|lgbt\w*|transgender|sexual orientation|gender|old people|elderly|seniors|young people)"
)
_WHO = r"(?:who lives?|people|neighbou?rs|residents|tenants|demographics?|community|crowd|kind of people|type of people|area|neighbou?rhood|building|complex)"  # noqa: E501
# Questions that ask the bot to describe or filter residents or neighbourhoods by a protected trait.
_INBOUND = [
    re.compile(rf"\b{_WHO}\b[^.?!]*\b{_PROTECTED}\b", re.I),
    re.compile(rf"\b{_PROTECTED}\b[^.?!]*\b{_WHO}\b", re.I),
    re.compile(r"\b(?:what|which) (?:kind|type|sort) of (?:people|neighbou?rs|residents|tenants)\b", re.I),
    re.compile(r"\b(?:demographics?|racial makeup|ethnic makeup)\b", re.I),
    re.compile(r"\b(?:is it|is this|are there) (?:a )?(?:lot of|many|mostly|any) " + _PROTECTED, re.I),
    re.compile(r"\b(?:good|safe|right) (?:area|place|neighbou?rhood) for (?:a |an )?" + _PROTECTED, re.I),
    re.compile(
        r"\b(?:do|does|can|will) (?:you|they|the (?:owner|landlord|manager)s?) (?:rent|lease) to " + _PROTECTED, re.I
    ),
]
# An engine's reply that asks the prospect about a protected trait.
_OUTBOUND = re.compile(
    r"\b(?:what is|what's|are you|do you have|how many|tell me|may i ask|can i ask|could you share)\b[^.?!]*\b"
    r"(?:your (?:race|religion|ethnicity|nationality|national origin|gender|sex|sexual orientation|age|disability|marital status)|"  # noqa: E501
    r"children|kids|pregnant|married|disab(?:led|ility)|religious|citizen(?:ship)?)\b[^.?!]*\?",
    re.I,
)


def is_protected_topic(text: str) -> bool:
    return any(pattern.search(text) for pattern in _INBOUND)


def asks_about_protected_trait(reply: str) -> bool:
    return bool(_OUTBOUND.search(reply))


def safe_reply(reply: str) -> str:
    """The reply, or the policy statement if the reply asks the prospect about a protected trait."""
    return FAIR_HOUSING_REPLY if asks_about_protected_trait(reply) else reply
