"""Hybrid ranking of FAQs for a prospect's question, and the decision whether the best one answers it.

Pure computation (no Django, no model): the index takes the FAQs' stored vectors and texts, the
search takes the question's vector and text.

- Semantic: each FAQ has several vectors, (question + answer) and, when the answer has several
  sentences, (question + one sentence) for each; the FAQ scores its best. A long answer's vector
  is an average of its topics, so a question about one detail ("is the pool heated in winter")
  matches the sentence that holds it better than the whole. Among 1,000 FAQs this put the right
  one first for 86% of our development questions instead of 80% with (question + answer) alone;
  the question alone (69%), the answer alone (71%) and weighted mixes of these did no better.
- Lexical: BM25 over the FAQ's text, after the alias expansion of `faqs.aliases`, scaled to [0, 1)
  by the best score the question's terms could reach. It only breaks near ties: at a weight of 0.1
  and above it lifted questions that no FAQ answers but that share a common word with one
  ("business center", "office closed on Christmas") as much as right answers.
- Wordings: the FAQ's own question and prospects' learned phrasings of it. A question that
  repeats one closely (similarity of the two questions' vectors at `min_phrasing_similarity`) is
  the same question, and its FAQ answers. Below that a wording says nothing: two prospect
  questions about one FAQ often ask different things.
- Typos are corrected into the FAQs' own words before any of this (`faqs.spelling`).
- Decision: the best FAQ answers when one of its wordings repeats the question, or when its score
  reaches a high minimum *and* leads the runner-up by a margin. Anything else goes to a person:
  a wrong or irrelevant answer costs far more than an escalation, which the product handles
  (pending FAQ, task, notification) and learns from (the answered question becomes a wording).
  Between the two, a best FAQ that clears a lower score (`suggest_min_score`, the rule that
  answered before) with the same margin is a suggestion: the bot offers it, labelled as one, while
  the question still goes to a person. It is the right FAQ for most paraphrases that the strict
  rule leaves alone, and a near-topic one for some questions that no FAQ answers.
  The minimum is high because a question about a detail that its FAQ's topic does not cover
  ("is there a freight elevator for moving day" against "every building has an elevator",
  "personal trainers at the gym" against the fitness center) scores like a right answer, up to
  0.71 on our development and first two held-out sets; at 0.72 none of those is answered, nor
  wrongly, alone or among 1,000 FAQs, and the questions that are still answered are the ones
  close to an FAQ's own words. Agreement of the question-only ranking, the question-only or
  whole-answer margin, shared alias terms and lexical evidence were tried as further conditions
  and did not separate those details; nor did, later, the share of the question's words that the
  FAQ's words (or their nearest word vectors, or the contextual token vectors of the model)
  cover, how much dropping one word of the question raises its similarity to the FAQ, or holding
  back a question that is closer to a standard amenity that no FAQ names (the MITS list) than to
  its best FAQ. Discounting FAQs that are similar to many others (hubness) lifted top-1 but
  answered more such questions. We found no PyPI package that ships the weights of a
  cross-encoder or question-answering model that could judge it instead.
"""

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from faqs.aliases import lexical_terms
from faqs.spelling import Speller

BM25_K1 = 1.2
BM25_B = 0.75
# More sentence vectors than this add little to an answer and cost every query.
MAX_SENTENCE_PASSAGES = 12

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def faq_passages(question: str, answer: str) -> list[str]:
    """The texts that get a vector for an FAQ: (question + answer) first, then (question + one
    sentence) per sentence of an answer that has more than one."""
    passages = [f"{question} {answer}".strip()]
    sentences = [sentence for sentence in _SENTENCE_END.split(answer.strip()) if sentence]
    if len(sentences) > 1:
        passages += [f"{question} {sentence}" for sentence in sentences[:MAX_SENTENCE_PASSAGES]]
    return passages


@dataclass(frozen=True)
class RankingParams:
    lexical_weight: float
    min_score: float
    min_margin: float
    min_phrasing_similarity: float
    suggest_min_score: float = 1.0


@dataclass(frozen=True)
class Hit:
    faq_id: object
    question: str
    answer: str
    score: float
    semantic: float
    lexical: float
    # The closest wording's similarity to the question: the FAQ's own question or a learned
    # phrasing (-1 when the index has neither).
    phrasing: float


@dataclass(frozen=True)
class IndexedFaq:
    faq_id: object
    question: str
    answer: str
    vectors: np.ndarray  # one row per passage (`faq_passages`), at least one
    phrasings: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    # The question's own vector: the first wording of the FAQ, matched like a learned phrasing.
    question_vector: np.ndarray | None = None


class KnowledgeIndex:
    """The answered FAQs one property's bot can use, ready to search."""

    def __init__(self, faqs: list[IndexedFaq]):
        if any(len(faq.vectors) == 0 for faq in faqs):
            raise ValueError("Every FAQ needs at least one vector.")
        self.faqs = faqs
        self._starts = np.cumsum([0] + [len(faq.vectors) for faq in faqs[:-1]]) if faqs else np.zeros(0, int)
        self._passages = _stack([faq.vectors for faq in faqs])
        # Phrasings are stacked FAQ by FAQ, so each FAQ's best is one `reduceat` over its rows.
        learned = [position for position, faq in enumerate(faqs) if len(faq.phrasings)]
        self._phrasings = _stack([faqs[position].phrasings for position in learned])
        self._phrasing_faqs = np.array(learned, dtype=np.int64)
        self._phrasing_starts = np.cumsum([0] + [len(faqs[position].phrasings) for position in learned[:-1]])
        asked = [position for position, faq in enumerate(faqs) if faq.question_vector is not None]
        self._questions = _stack([faqs[position].question_vector[None, :] for position in asked])
        self._question_faqs = np.array(asked, dtype=np.int64)
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

    @cached_property
    def speller(self) -> Speller:
        """Corrects a question's typos into the words of these FAQs (see `faqs.spelling`)."""
        return Speller(f"{faq.question} {faq.answer}" for faq in self.faqs)

    @property
    def phrasing_count(self) -> int:
        return len(self._phrasings)

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

    def phrasing_scores(self, query_vector: np.ndarray) -> np.ndarray:
        """Each FAQ's closest wording to the question: its own question or a learned phrasing."""
        best = np.full(len(self.faqs), -1.0, dtype=np.float32)
        if self.phrasing_count:
            best[self._phrasing_faqs] = np.maximum.reduceat(
                _similarities(self._phrasings, query_vector), self._phrasing_starts
            )
        if len(self._question_faqs):
            best[self._question_faqs] = np.maximum(
                best[self._question_faqs], _similarities(self._questions, query_vector)
            )
        return best

    def search(self, *, query_text: str, query_vector: np.ndarray, top_k: int, params: RankingParams) -> list[Hit]:
        if not self.faqs:
            return []
        query_vector = query_vector.astype(np.float32, copy=False)
        semantic = np.maximum.reduceat(_similarities(self._passages, query_vector), self._starts)
        lexical = self.lexical_scores(query_text)
        phrasing = self.phrasing_scores(query_vector)
        combined = semantic + params.lexical_weight * lexical
        repeated = phrasing >= params.min_phrasing_similarity
        combined[repeated] = np.maximum(combined[repeated], phrasing[repeated])
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
                phrasing=float(phrasing[i]),
            )
            for i in best
        ]


def _similarities(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """Cosine similarities of unit vectors. Not `matrix @ vector`: OpenBLAS hands a product of a few
    thousand rows to its thread pool, which on a busy two-core machine took 8 ms instead of the
    0.4 ms of einsum's own single-threaded loop."""
    return np.einsum("ij,j->i", matrix, vector)


def _stack(blocks: list[np.ndarray]) -> np.ndarray:
    if not blocks:
        return np.zeros((0, 0), dtype=np.float32)
    return np.concatenate(blocks).astype(np.float32, copy=False)


def is_suggestion(hits: list[Hit], params: RankingParams) -> bool:
    """Whether the best hit, not good enough to answer with, is still worth offering as a
    suggestion beside the escalation (it clears the lower suggestion score with the margin)."""
    if not hits or is_confident(hits, params) or hits[0].score < params.suggest_min_score:
        return False
    runner_up = hits[1].score if len(hits) > 1 else 0.0
    return hits[0].score - runner_up >= params.min_margin


def is_confident(hits: list[Hit], params: RankingParams) -> bool:
    """Whether the best hit is good enough to answer with instead of asking a person."""
    if not hits:
        return False
    if hits[0].phrasing >= params.min_phrasing_similarity:
        return True
    if hits[0].score < params.min_score:
        return False
    runner_up = hits[1].score if len(hits) > 1 else 0.0
    return hits[0].score - runner_up >= params.min_margin
