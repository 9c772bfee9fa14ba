"""Placeholders: only known names, only {{ name }}, one pass, and a preview as an inbox shows it."""

from datetime import UTC, datetime

import pytest

from emails import rendering


def test_known_placeholders_are_replaced_with_or_without_spaces():
    text = "Hi {{first_name}}, see you at {{ property_name }}."
    assert rendering.render(text, {"first_name": "Jamie", "property_name": "A One"}) == "Hi Jamie, see you at A One."


@pytest.mark.parametrize(
    "text",
    [
        "Hi {{ nickname }}",
        "Hi {{ first_name|upper }}",
        "{% if first_name %}Hi{% endif %}",
        "{# a comment #}",
        "{{ request.user.password }}",
        "{{ first_name }} and a stray }}",
    ],
)
def test_anything_but_known_placeholders_is_refused(text):
    with pytest.raises(rendering.TemplateError):
        rendering.check_template(text)


def test_an_unknown_placeholder_is_named_with_what_is_available():
    with pytest.raises(rendering.TemplateError) as caught:
        rendering.check_template("Hi {{ nickname }}")
    assert "nickname" in str(caught.value) and "first_name" in str(caught.value)


def test_a_value_that_looks_like_a_placeholder_is_not_rendered_again():
    values = {"first_name": "{{ email }}", "email": "secret@example.com"}
    assert rendering.render("Hi {{ first_name }}", values) == "Hi {{ email }}"


def test_a_missing_tour_is_reported_not_rendered_empty():
    with pytest.raises(rendering.MissingValues) as caught:
        rendering.render("See you {{ tour_datetime }}", {"first_name": "Jamie"})
    assert caught.value.names == ["tour_datetime"]


def test_an_unknown_first_name_greets_there():
    assert rendering.render("Hi {{ first_name }},", {"first_name": ""}) == "Hi there,"


def test_tour_values_are_in_the_propertys_time_zone():
    values = rendering.tour_values(
        start=datetime(2026, 5, 1, 20, 0, tzinfo=UTC), tour_type_label="In person", time_zone="America/Chicago"
    )
    assert values["tour_datetime"] == "Friday, May 1 at 3:00 PM CDT"
    assert values["tour_time"] == "3:00 PM CDT"


def test_preview_is_the_first_lines_as_plain_text():
    content = "<p>Hi   Jamie,</p>\n\nThanks for &amp; chatting.\nMore"
    assert rendering.preview(content) == "Hi Jamie, Thanks for & chatting. More"


def test_a_long_preview_is_cut_at_a_word():
    preview = rendering.preview("word " * 100)
    assert len(preview) <= rendering.PREVIEW_LENGTH and preview.endswith("word…")


def test_html_alternative_escapes_the_text():
    html = rendering.text_to_html("Hi <script>alert(1)</script>\n\nBye")
    assert "<script>" not in html and "&lt;script&gt;" in html and "<p>Bye</p>" in html
