"""Retrieval measured on tests/faqs/data/retrieval_eval.json, through `faq_retrieve` as the bot calls it.

Used by test_retrieval_quality.py (which holds the figures to their floor) and by
benchmarks/faq_retrieval.py (which prints them). Split "dev" holds the queries the ranking and its
thresholds were chosen on, "holdout" those kept aside for the final figures, "all" both.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

DATA_PATH = Path(__file__).parent / "data" / "retrieval_eval.json"


def load_evaluation_set() -> dict:
    return json.loads(DATA_PATH.read_text())


@dataclass
class Figures:
    questions: int = 0
    top1: int = 0
    top3: int = 0
    answered_right: int = 0
    answered_wrong: int = 0
    must_not_answer: int = 0
    false_answers: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def top1_rate(self) -> float:
        return self.top1 / self.questions

    @property
    def top3_rate(self) -> float:
        return self.top3 / self.questions

    @property
    def false_answer_rate(self) -> float:
        return self.false_answers / self.must_not_answer

    def summary(self) -> str:
        return (
            f"top-1 {self.top1_rate:.3f} ({self.top1}/{self.questions}), "
            f"top-3 {self.top3_rate:.3f} ({self.top3}/{self.questions}), "
            f"answered right {self.answered_right}/{self.questions}, answered wrong {self.answered_wrong}, "
            f"false answers {self.false_answers}/{self.must_not_answer} ({self.false_answer_rate:.3f})"
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
    from faqs.selectors import faq_retrieve

    parts = {"dev": ["queries"], "holdout": ["holdout"], "all": ["queries", "holdout"]}[split]
    negatives = {
        "dev": data["must_not_answer"],
        "holdout": data["must_not_answer_holdout"],
        "all": data["must_not_answer"] + data["must_not_answer_holdout"],
    }[split]
    figures = Figures()
    for faq in data["faqs"]:
        for query in (query for part in parts for query in faq[part]):
            result = faq_retrieve(property=property, query=query, top_k=3)
            ranked = [hit.faq_id for hit in result.results]
            figures.questions += 1
            figures.top1 += ranked[:1] == [ids[faq["key"]]]
            figures.top3 += ids[faq["key"]] in ranked
            if result.answered and ranked[0] == ids[faq["key"]]:
                figures.answered_right += 1
            elif result.answered:
                figures.answered_wrong += 1
                figures.failures.append(f"answered {query!r} with {result.results[0].question!r}")
    for query in negatives:
        result = faq_retrieve(property=property, query=query, top_k=3)
        figures.must_not_answer += 1
        if result.answered:
            figures.false_answers += 1
            figures.failures.append(f"answered must-not-answer {query!r} with {result.results[0].question!r}")
    return figures
