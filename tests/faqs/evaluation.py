"""Retrieval measured on tests/faqs/data/retrieval_eval*.json, through `faq_retrieve` as the bot calls it.

Used by test_retrieval_quality.py (which holds the figures to their floor) and by
benchmarks/faq_retrieval.py (which prints them). Split "dev" holds the queries the ranking and its
thresholds were chosen on, "holdout" those kept aside for the final figures when the set was
written, "fresh" a second held-out set written later, before the ranking was tuned again
(retrieval_eval_fresh.json). Both were looked at in later tuning, so they are no longer held out:
"heldout2" (retrieval_eval_heldout2.json) was written and committed before the next round of tuning,
which used only the other three, and is the one that measures it. "all" is the four together.
"""

import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

DATA_PATH = Path(__file__).parent / "data" / "retrieval_eval.json"
FRESH_PATH = Path(__file__).parent / "data" / "retrieval_eval_fresh.json"
HELDOUT2_PATH = Path(__file__).parent / "data" / "retrieval_eval_heldout2.json"
SPLITS = ("dev", "holdout", "fresh", "heldout2")
# Where each split keeps its questions: in each FAQ, and the must-not-answer list.
_PARTS = {
    "dev": ("queries", "must_not_answer"),
    "holdout": ("holdout", "must_not_answer_holdout"),
    "fresh": ("fresh", "must_not_answer_fresh"),
    "heldout2": ("heldout2", "must_not_answer_heldout2"),
}
# The later sets, each in its own file of the same shape: FAQ key -> questions, and must-not-answer.
_LATER_SETS = {"fresh": FRESH_PATH, "heldout2": HELDOUT2_PATH}


def load_evaluation_set() -> dict:
    """The FAQs with the questions of every split (the later sets merged in from their own files)."""
    data = json.loads(DATA_PATH.read_text())
    for split, path in _LATER_SETS.items():
        later = json.loads(path.read_text())
        queries = {faq["key"]: faq["queries"] for faq in later["faqs"]}
        for faq in data["faqs"]:
            faq[_PARTS[split][0]] = queries[faq["key"]]
        data[_PARTS[split][1]] = later["must_not_answer"]
    return data


def split_questions(data: dict, split: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(FAQ key, question) pairs and must-not-answer questions of a split, or of "all"."""
    splits = SPLITS if split == "all" else (split,)
    positives = [(faq["key"], query) for name in splits for faq in data["faqs"] for query in faq[_PARTS[name][0]]]
    negatives = [query for name in splits for query in data[_PARTS[name][1]]]
    return positives, negatives


def with_typos(questions: list[tuple[str, str]], *, copies: int = 3, seed: int = 11) -> list[tuple[str, str]]:
    """Copies of (key, question) pairs with one slip each (a letter dropped, doubled, swapped or
    mistyped) in one word of five letters or more, as prospects type on phones; fixed by the seed."""
    rng = random.Random(seed)
    typoed = []
    for key, question in questions:
        words = question.split()
        long_words = [i for i, word in enumerate(words) if len(re.sub(r"\W", "", word)) >= 5]
        for _ in range(copies if long_words else 0):
            position = rng.choice(long_words)
            word, cut = words[position], rng.randrange(1, len(words[position]) - 1)
            slip = rng.choice(["drop", "swap", "mistype", "add"])
            if slip == "drop":
                word = word[:cut] + word[cut + 1 :]
            elif slip == "swap":
                word = word[: cut - 1] + word[cut] + word[cut - 1] + word[cut + 1 :]
            else:
                letter = rng.choice("aeioustrnl")
                word = word[:cut] + letter + word[cut + (slip == "mistype") :]
            typoed.append((key, " ".join([*words[:position], word, *words[position + 1 :]])))
    return typoed


@dataclass
class Figures:
    questions: int = 0
    top1: int = 0
    top3: int = 0
    answered_right: int = 0
    answered_wrong: int = 0
    must_not_answer: int = 0
    false_answers: int = 0
    # Offered as labelled suggestions beside an escalation (not answered): right, wrong, and on
    # must-not-answer questions.
    suggested_right: int = 0
    suggested_wrong: int = 0
    suggested_on_must_not: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def top1_rate(self) -> float:
        return self.top1 / self.questions

    @property
    def top3_rate(self) -> float:
        return self.top3 / self.questions

    @property
    def false_answer_rate(self) -> float:
        return self.false_answers / self.must_not_answer if self.must_not_answer else 0.0

    def summary(self) -> str:
        return (
            f"top-1 {self.top1_rate:.3f} ({self.top1}/{self.questions}), "
            f"top-3 {self.top3_rate:.3f} ({self.top3}/{self.questions}), "
            f"answered right {self.answered_right}/{self.questions}, answered wrong {self.answered_wrong}, "
            f"false answers {self.false_answers}/{self.must_not_answer} ({self.false_answer_rate:.3f}); "
            f"suggested right {self.suggested_right}, suggested wrong {self.suggested_wrong}, "
            f"suggested on must-not-answer {self.suggested_on_must_not}/{self.must_not_answer}"
        )


def seed_faqs(*, property, data: dict) -> dict[str, str]:
    """The evaluation FAQs as answered FAQs of the property; returns key -> FAQ id."""
    from faqs.services import faq_create

    return {
        faq["key"]: str(
            faq_create(
                company=property.company,
                property=property,
                question=faq["question"],
                answer=faq["answer"],
                category=faq["category"],
            ).pk
        )
        for faq in data["faqs"]
    }


def evaluate(*, property, data: dict, ids: dict[str, str], split: str = "all") -> Figures:
    """Split "dev+typos": the development questions with a typo each (three copies, `with_typos`)."""
    from faqs.selectors import faq_retrieve

    if split == "dev+typos":
        positives, negatives = with_typos(split_questions(data, "dev")[0]), []
    else:
        positives, negatives = split_questions(data, split)
    figures = Figures()
    for key, query in positives:
        result = faq_retrieve(property=property, query=query, top_k=3)
        ranked = [hit.faq_id for hit in result.results]
        figures.questions += 1
        figures.top1 += ranked[:1] == [ids[key]]
        figures.top3 += ids[key] in ranked
        if result.answered and ranked[0] == ids[key]:
            figures.answered_right += 1
        elif result.answered:
            figures.answered_wrong += 1
            figures.failures.append(f"answered {query!r} with {result.results[0].question!r}")
        elif result.suggested:
            figures.suggested_right += ranked[0] == ids[key]
            figures.suggested_wrong += ranked[0] != ids[key]
    for query in negatives:
        result = faq_retrieve(property=property, query=query, top_k=3)
        figures.must_not_answer += 1
        if result.answered:
            figures.false_answers += 1
            figures.failures.append(f"answered must-not-answer {query!r} with {result.results[0].question!r}")
        figures.suggested_on_must_not += result.suggested
    return figures
