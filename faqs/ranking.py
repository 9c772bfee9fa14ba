"""Hybrid ranking of FAQs for a prospect's question, and the decision whether the best one answers it.

Pure computation (no Django, no model): the index takes the FAQs' stored vectors and texts, the
search takes the question's vector and text.

- Semantic: cosine of the question's sentence embedding with each FAQ's (question + answer)
  embedding. It carries the ranking: prospects rarely use the FAQ's words ("can I bring my dog" for
  the pet policy).
- Lexical: BM25 over the same texts, after the alias expansion of `faqs.aliases`, scaled to [0, 1)
  by the best score the question's terms could reach. It only nudges the semantic score (an even
  mix ranked worse in our measurements), so an exact term ("guarantor", "carport") breaks near ties.
- Decision: the best FAQ answers only when its score reaches a minimum *and* leads the runner-up by
  a margin. Off-topic questions often score as high as right answers, but spread over several
  FAQs; right answers stand out from the rest.
"""

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from faqs.aliases import lexical_terms

BM25_K1 = 1.2
BM25_B = 0.75


@dataclass(frozen=True)
class RankingParams:
    lexical_weight: float
    min_score: float
    min_margin: float


@dataclass(frozen=True)
class Hit:
    faq_id: object
    question: str
    answer: str
    score: float
    semantic: float
    lexical: float


@dataclass(frozen=True)
class IndexedFaq:
    faq_id: object
    question: str
    answer: str


class KnowledgeIndex:
    """The answered FAQs one property's bot can use, ready to search."""

    def __init__(self, faqs: list[IndexedFaq], vectors: np.ndarray):
        if len(faqs) != len(vectors):
            raise ValueError("One vector per FAQ is needed.")
        self.faqs = faqs
        self.vectors = vectors.astype(np.float32, copy=False)
        self._postings: dict[str, list[tuple[int, int]]] = {}
        self._lengths = np.zeros(len(faqs), dtype=np.float32)
        for position, faq in enumerate(faqs):
            counts = Counter(lexical_terms(f"{faq.question} {faq.answer}"))
            self._lengths[position] = sum(counts.values())
            for term, count in counts.items():
                self._postings.setdefault(term, []).append((position, count))
        self._average_length = float(self._lengths.mean()) if faqs else 0.0
        total = len(faqs)
        self._idf = {
            term: math.log(1 + (total - len(postings) + 0.5) / (len(postings) + 0.5))
            for term, postings in self._postings.items()
        }

    def __len__(self) -> int:
        return len(self.faqs)

    def lexical_scores(self, query_text: str) -> np.ndarray:
        scores = np.zeros(len(self.faqs), dtype=np.float32)
        terms = [term for term in dict.fromkeys(lexical_terms(query_text)) if term in self._idf]
        if not terms:
            return scores
        ceiling = 0.0
        for term in terms:
            idf = self._idf[term]
            ceiling += idf * (BM25_K1 + 1)
            for position, count in self._postings[term]:
                norm = BM25_K1 * (1 - BM25_B + BM25_B * self._lengths[position] / self._average_length)
                scores[position] += idf * count * (BM25_K1 + 1) / (count + norm)
        return scores / ceiling

    def search(self, *, query_text: str, query_vector: np.ndarray, top_k: int, params: RankingParams) -> list[Hit]:
        if not self.faqs:
            return []
        semantic = self.vectors @ query_vector.astype(np.float32, copy=False)
        lexical = self.lexical_scores(query_text)
        combined = semantic + params.lexical_weight * lexical
        count = min(top_k, len(self.faqs))
        best = np.argpartition(-combined, count - 1)[:count] if count < len(self.faqs) else np.arange(count)
        best = best[np.argsort(-combined[best], kind="stable")]
        return [
            Hit(
                faq_id=self.faqs[i].faq_id,
                question=self.faqs[i].question,
                answer=self.faqs[i].answer,
                score=float(combined[i]),
                semantic=float(semantic[i]),
                lexical=float(lexical[i]),
            )
            for i in best
        ]


def is_confident(hits: list[Hit], params: RankingParams) -> bool:
    """Whether the best hit is good enough to answer with instead of asking a person."""
    if not hits or hits[0].score < params.min_score:
        return False
    runner_up = hits[1].score if len(hits) > 1 else 0.0
    return hits[0].score - runner_up >= params.min_margin
