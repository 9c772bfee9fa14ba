"""Typo correction of questions into the words of the property's FAQs."""

import pytest

from faqs.spelling import Speller, edit_distance

FAQS = [
    "How do I apply for an apartment? Apply online; the application fee is $50.",
    "How much is the security deposit? The deposit is $500, refundable at move-out.",
    "Do you accept guarantors? A guarantor earning five times the rent can sign.",
]


@pytest.fixture(scope="module")
def speller():
    return Speller(FAQS)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("how much is the applicaton fee", "how much is the application fee"),  # a letter missing
        ("security depsoit amount?", "security deposit amount?"),  # two letters swapped
        ("my mom wants to be my guarantir", "my mom wants to be my guarantor"),  # one wrong letter
        ("can my dad be a guarrantoor", "can my dad be a guarantor"),  # two slips in a long word
        ("Is the DEPOSTI refundable?", "Is the deposit refundable?"),
        ("is there a laundromatt nearby", "is there a laundromat nearby"),  # a word of the alias table
    ],
)
def test_a_misspelt_word_becomes_the_faq_word(speller, typed, meant):
    assert speller.correct(typed) == meant


@pytest.mark.parametrize(
    "text",
    [
        "where would I put my car",  # every word is known
        "can I store my kayak",  # real words the FAQs do not use stay as they are
        "is the pool heated in winter",
        "do you have a gym",  # too short to correct safely
        "poop bags",  # four letters: often another real word ("pool")
        "is there a sauan",  # no FAQ word near it
    ],
)
def test_known_short_or_unmatched_words_are_left_alone(speller, text):
    assert speller.correct(text) == text


def test_two_edits_are_allowed_only_in_long_words(speller):
    assert speller.correct_word("depsit") == "deposit"  # one edit
    assert speller.correct_word("dposti") == "dposti"  # two edits in a seven-letter word


def test_the_edit_distance_counts_a_swap_as_one():
    assert edit_distance("deposit", "depsoit") == 1
    assert edit_distance("deposit", "deposit") == 0
    assert edit_distance("guarantor", "guarenter") == 2
    assert edit_distance("", "abc") == 3
