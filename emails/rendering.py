"""`{{ placeholder }}` substitution for templates and campaigns, and nothing else.

Staff write these texts, so they are never given to a template engine: only names from
`PLACEHOLDERS` are replaced, in one pass (a value that itself looks like a placeholder stays as it
is), and any other template syntax is refused when the text is saved.
"""

import html
import re
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils.html import strip_tags

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
TEMPLATE_SYNTAX = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")

PLACEHOLDERS = {
    "first_name": "The lead's first name ('there' when unknown).",
    "last_name": "The lead's last name.",
    "full_name": "The lead's full name ('there' when unknown).",
    "email": "The lead's email address.",
    "phone": "The lead's phone number.",
    "property_name": "The property's name.",
    "property_address": "The property's street address, city, state and ZIP code.",
    "property_website": "The property's website.",
    "company_name": "The property management company's name.",
    "tour_datetime": "The lead's next tour, e.g. 'Friday, May 2 at 3:00 PM CDT' (needs a booked tour).",
    "tour_date": "The date of the lead's next tour (needs a booked tour).",
    "tour_time": "The time of the lead's next tour (needs a booked tour).",
    "tour_type": "In person, Virtual or Self-guided (needs a booked tour).",
    "unsubscribe_url": "The lead's unsubscribe link (campaigns add it at the bottom anyway).",
}
TOUR_PLACEHOLDERS = frozenset({"tour_datetime", "tour_date", "tour_time", "tour_type"})
# With no value these render a friendly word instead of leaving "Hi ," in the email.
FALLBACKS = {"first_name": "there", "full_name": "there"}
PREVIEW_LENGTH = 150


class TemplateError(ValueError):
    pass


class MissingValues(ValueError):
    def __init__(self, names: Iterable[str]):
        self.names = sorted(names)
        super().__init__(f"No value for: {', '.join(self.names)}.")


def placeholders_in(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text or ""))


def check_template(text: str) -> set[str]:
    """The placeholders a text uses; TemplateError when it has unknown ones or other template code."""
    names = placeholders_in(text)
    unknown = sorted(names - PLACEHOLDERS.keys())
    if unknown:
        raise TemplateError(
            f"Unknown placeholder(s): {', '.join(unknown)}. Available: {', '.join(sorted(PLACEHOLDERS))}."
        )
    if TEMPLATE_SYNTAX.search(PLACEHOLDER.sub("", text or "")):
        raise TemplateError("Only {{ placeholder }} may be used here: template tags, filters and comments may not.")
    return names


def render(text: str, values: dict[str, str]) -> str:
    """Replaces every placeholder; MissingValues when one has no value (e.g. a tour not booked)."""
    missing = {name for name in placeholders_in(text) if not values.get(name) and name not in FALLBACKS}
    if missing:
        raise MissingValues(missing)
    return PLACEHOLDER.sub(lambda match: values.get(match.group(1)) or FALLBACKS.get(match.group(1), ""), text)


def lead_values(prospect) -> dict[str, str]:
    full_name = f"{prospect.first_name} {prospect.last_name}".strip()
    return {
        "first_name": prospect.first_name,
        "last_name": prospect.last_name,
        "full_name": full_name,
        "email": prospect.email,
        "phone": prospect.phone,
    }


def property_values(property_, company) -> dict[str, str]:
    address = ", ".join(
        part for part in (property_.address, property_.city, f"{property_.state} {property_.zip_code}".strip()) if part
    )
    return {
        "property_name": property_.name,
        "property_address": address,
        "property_website": property_.website_url,
        "company_name": company.name,
    }


def tour_values(*, start: datetime, tour_type_label: str, time_zone: str) -> dict[str, str]:
    local = start.astimezone(ZoneInfo(time_zone))
    return {
        "tour_datetime": local.strftime("%A, %B %-d at %-I:%M %p %Z"),
        "tour_date": local.strftime("%A, %B %-d, %Y"),
        "tour_time": local.strftime("%-I:%M %p %Z"),
        "tour_type": tour_type_label,
    }


def sample_values() -> dict[str, str]:
    """What a test send shows where a lead's own values would go."""
    return {name: f"[{name}]" for name in PLACEHOLDERS}


def preview(content: str) -> str:
    """The first line(s) of an email as plain text, as an inbox shows them."""
    lines = (" ".join(line.split()) for line in html.unescape(strip_tags(content or "")).splitlines())
    text = " ".join(line for line in lines if line)
    if len(text) <= PREVIEW_LENGTH:
        return text
    return text[: PREVIEW_LENGTH - 1].rsplit(" ", 1)[0] + "…"


def text_to_html(text: str, *, footer_html: str = "") -> str:
    """The HTML alternative of a plain-text email: escaped, paragraphs and line breaks kept."""
    paragraphs = re.split(r"\n\s*\n", text.strip())
    body = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs if p.strip())
    style = "font-family:sans-serif;line-height:1.5"
    return f'<!doctype html><html><body style="{style}">{body}{footer_html}</body></html>'


def footer_html(note: str, unsubscribe_url: str) -> str:
    return (
        f'<hr><p style="font-size:12px;color:#666">{html.escape(note)} '
        f'<a href="{html.escape(unsubscribe_url)}">Unsubscribe</a></p>'
    )
