import re
import zoneinfo
from functools import cache

from rest_framework import serializers

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_HEX_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> str:
    if value not in _time_zones():
        raise serializers.ValidationError(f"'{value}' is not an IANA time zone name, e.g. 'America/Chicago'.")
    return value


def validate_theme_color(value: str) -> str:
    if not _HEX_COLOR.match(value):
        raise serializers.ValidationError("Use a hex colour such as '#2563EB'.")
    return value.upper()


def validate_business_hours(value) -> dict:
    """`{"monday": [{"open": "09:00", "close": "18:00"}], ...}`; a day left out is closed."""
    if not isinstance(value, dict):
        raise serializers.ValidationError("Expected an object keyed by weekday.")
    for day, spans in value.items():
        if day not in WEEKDAYS:
            raise serializers.ValidationError(f"'{day}' is not a weekday ({', '.join(WEEKDAYS)}).")
        if not isinstance(spans, list):
            raise serializers.ValidationError(f"'{day}' must be a list of {{open, close}} spans.")
        for span in spans:
            if not isinstance(span, dict) or set(span) != {"open", "close"}:
                raise serializers.ValidationError(f"Each span of '{day}' needs exactly 'open' and 'close'.")
            if not all(isinstance(span[k], str) and _CLOCK.match(span[k]) for k in ("open", "close")):
                raise serializers.ValidationError(f"Times of '{day}' must read HH:MM (24-hour).")
            if span["open"] >= span["close"]:
                raise serializers.ValidationError(f"A span of '{day}' closes before it opens.")
    return value


def validate_json_object(value) -> dict:
    if not isinstance(value, dict):
        raise serializers.ValidationError("Expected a JSON object.")
    return value


def validate_json_collection(value):
    if not isinstance(value, (list, dict)):
        raise serializers.ValidationError("Expected a JSON list or object.")
    return value
