"""The fields kept in step between our prospect (and their conversation at the property) and the
ResMan guest card, in one JSON-friendly form so that both sides and the last agreed values compare.
"""

from datetime import date

from resman.mits import LeadDocument, ProspectRecord

TRACKED = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "move_in_date",
    "bedrooms",
    "rent_min",
    "rent_max",
    "occupants",
    "has_pets",
)
TEXT_FIELDS = {"first_name", "last_name", "email", "phone"}
CONTACT_FIELDS = ("first_name", "last_name", "email", "phone")


def empty(field: str):
    return "" if field in TEXT_FIELDS else None


def normalized(field: str, value):
    if value in (None, ""):
        return empty(field)
    if field == "email":
        return str(value).strip().lower()
    if field in TEXT_FIELDS:
        return str(value).strip()
    if field == "move_in_date":
        return value.isoformat() if isinstance(value, date) else str(value)[:10]
    if field == "has_pets":
        return bool(value)
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def bedrooms_of(size_preference: str) -> int | None:
    """The chat stores "studio", "1br", "2br"...; ResMan counts bedrooms (a studio has 0)."""
    text = (size_preference or "").strip().lower()
    if text == "studio":
        return 0
    digits = "".join(ch for ch in text if ch.isdigit())
    return int(digits) if digits else None


def size_preference_of(bedrooms: int | None) -> str:
    if bedrooms is None:
        return ""
    return "studio" if bedrooms == 0 else f"{bedrooms}br"


def local_values(prospect, conversation) -> dict:
    values = {name: normalized(name, getattr(prospect, name, "")) for name in CONTACT_FIELDS}
    if conversation is None:
        values.update({name: empty(name) for name in TRACKED if name not in CONTACT_FIELDS})
        return values
    values.update(
        move_in_date=normalized("move_in_date", conversation.move_in_date),
        bedrooms=bedrooms_of(conversation.apartment_size_preference),
        rent_min=normalized("rent_min", conversation.price_range_min),
        rent_max=normalized("rent_max", conversation.price_range_max),
        occupants=normalized("occupants", conversation.occupants_count),
        has_pets=normalized("has_pets", conversation.has_pets),
    )
    return values


def record_values(record: ProspectRecord) -> dict:
    return {
        "first_name": normalized("first_name", record.first_name),
        "last_name": normalized("last_name", record.last_name),
        "email": normalized("email", record.email),
        "phone": normalized("phone", record.phone),
        "move_in_date": normalized("move_in_date", record.move_in_date),
        "bedrooms": normalized("bedrooms", record.bedrooms),
        "rent_min": normalized("rent_min", record.rent_min),
        "rent_max": normalized("rent_max", record.rent_max),
        "occupants": normalized("occupants", record.occupants),
        "has_pets": record.has_pets,
    }


def apply_local(prospect, conversation, field: str, value) -> str:
    """Sets one tracked field on our side; returns which object changed ("prospect"/"conversation")."""
    if field in CONTACT_FIELDS:
        setattr(prospect, field, value or "")
        return "prospect"
    if conversation is None:
        return ""
    if field == "move_in_date":
        conversation.move_in_date = date.fromisoformat(value) if value else None
    elif field == "bedrooms":
        conversation.apartment_size_preference = size_preference_of(value)
    elif field == "rent_min":
        conversation.price_range_min = value if value is None or value >= 0 else None
    elif field == "rent_max":
        conversation.price_range_max = value if value is None or value >= 0 else None
    elif field == "occupants":
        conversation.occupants_count = value if value is None or value >= 0 else None
    elif field == "has_pets":
        conversation.has_pets = value
    return "conversation"


CONVERSATION_COLUMNS = {
    "move_in_date": "move_in_date",
    "bedrooms": "apartment_size_preference",
    "rent_min": "price_range_min",
    "rent_max": "price_range_max",
    "occupants": "occupants_count",
    "has_pets": "has_pets",
}


def document_from(values: dict, **extra) -> LeadDocument:
    return LeadDocument(
        first_name=values["first_name"],
        last_name=values["last_name"],
        email=values["email"],
        phone=values["phone"],
        move_in_date=date.fromisoformat(values["move_in_date"]) if values["move_in_date"] else None,
        bedrooms=values["bedrooms"],
        rent_min=values["rent_min"],
        rent_max=values["rent_max"],
        occupants=values["occupants"],
        has_pets=values["has_pets"],
        **extra,
    )
