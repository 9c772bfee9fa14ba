"""What the bot may look up: the property's answered FAQs and its open tour times.

FAQs and tours are their own apps; the bot reads them through their selectors only.
"""

from dataclasses import dataclass
from datetime import datetime

from faqs.selectors import faq_retrieve
from tours.selectors import tour_available_slots


@dataclass
class FaqHit:
    faq_id: str
    question: str
    answer: str
    score: float


@dataclass
class FaqAnswer:
    question: str
    answer: str
    sure: bool


class Knowledge:
    def __init__(self, property):
        self.property = property

    def faq_search(self, query: str, *, top_k: int = 3) -> tuple[list[FaqHit], bool]:
        """(hits, answered): answered is the FAQ app's own judgement that the best hit answers."""
        result = faq_retrieve(property=self.property, query=query, top_k=top_k)
        hits = [
            FaqHit(str(hit.faq_id), hit.question, hit.answer, float(hit.score))
            for hit in result.results
            if getattr(hit, "answer", "")
        ]
        return hits, bool(result.answered and hits)

    def faq_answer(self, query: str) -> FaqAnswer | None:
        """The best FAQ when it answers the question, or when it is only likely to (a suggestion,
        to be labelled as one while a person is asked); None when nothing is close enough."""
        result = faq_retrieve(property=self.property, query=query, top_k=1)
        if not result.results or not (result.answered or result.suggested):
            return None
        best = result.results[0]
        return FaqAnswer(question=best.question, answer=best.answer, sure=result.answered)

    def tour_slots(self, *, start: datetime, end: datetime, tour_type: str = "in_person") -> list[datetime]:
        slots = tour_available_slots(property=self.property, start=start, end=end, tour_type=tour_type)
        return [slot if isinstance(slot, datetime) else getattr(slot, "start", slot) for slot in slots]

    def amenity_mentioned(self, text: str) -> str | None:
        """An amenity or feature of the property that the question names, as the property lists it."""
        lowered = text.lower()
        for item in [*_strings(self.property.amenities), *_strings(self.property.features)]:
            words = [word for word in item.lower().replace("/", " ").split() if len(word) > 3]
            if words and any(word in lowered for word in words):
                return item
        return None


def _strings(collection) -> list[str]:
    if isinstance(collection, dict):
        collection = [f"{key}: {value}" if value not in (True, None, "") else key for key, value in collection.items()]
    return [item for item in collection or [] if isinstance(item, str)]
