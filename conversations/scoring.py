"""Lead score (0-100) and qualification, from documented rules.

| rule                                                   | points |
|--------------------------------------------------------|--------|
| an email or a phone number                             | 20     |
| ... both                                               | +5     |
| a first name                                           | 5      |
| a move-in date                                         | 10     |
| ... within 60 days of today                            | +10    |
| a budget (either end of the price range)               | 10     |
| a size preference (studio, 1br, ...)                   | 10     |
| the number of occupants                                | 5      |
| whether pets move in (either answer)                   | 5      |
| a tour booked                                          | 20     |

`pre_qualified`: the move-in date and the budget or size are known (the lead can be matched to a
home before we know who they are). `is_qualified`: reachable (email or phone) and a score of at
least 50.
"""

from datetime import date

QUALIFIED_SCORE = 50
SOON_DAYS = 60


def lead_score(*, lead: dict, contact: dict, today: date) -> int:
    score = 0
    if contact.get("email") or contact.get("phone"):
        score += 20
        if contact.get("email") and contact.get("phone"):
            score += 5
    if contact.get("first_name"):
        score += 5
    move_in = lead.get("move_in_date")
    if move_in:
        score += 10
        if (move_in - today).days <= SOON_DAYS:
            score += 10
    if lead.get("price_range_min") is not None or lead.get("price_range_max") is not None:
        score += 10
    if lead.get("apartment_size_preference"):
        score += 10
    if lead.get("occupants_count") is not None:
        score += 5
    if lead.get("has_pets") is not None:
        score += 5
    if lead.get("is_book_tour"):
        score += 20
    return min(score, 100)


def is_pre_qualified(*, lead: dict) -> bool:
    has_budget = lead.get("price_range_min") is not None or lead.get("price_range_max") is not None
    return bool(lead.get("move_in_date")) and (has_budget or bool(lead.get("apartment_size_preference")))


def is_qualified(*, score: int, contact: dict) -> bool:
    return score >= QUALIFIED_SCORE and bool(contact.get("email") or contact.get("phone"))
