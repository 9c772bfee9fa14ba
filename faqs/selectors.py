"""Reads of the faqs app, and retrieval: which answered FAQ answers a prospect's question."""

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet

from faqs.aliases import expand
from faqs.embedding import DIMENSIONS, MODEL_NAME, local_embedder, vector_from_bytes
from faqs.models import OPEN_FAQ_STATUSES, Faq, FaqPhrasing, FaqStatus, Task
from faqs.ranking import IndexedFaq, KnowledgeIndex, RankingParams, faq_passages, is_confident, is_suggestion
from properties.models import Property

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetrievedFaq:
    faq_id: str
    question: str
    answer: str
    score: float


@dataclass(frozen=True)
class RetrievalResult:
    results: list[RetrievedFaq] = field(default_factory=list)
    answered: bool = False
    # Not answered, but the first result is likely enough to offer, labelled, to the prospect.
    suggested: bool = False


def ranking_params() -> RankingParams:
    return RankingParams(
        lexical_weight=settings.FAQ_LEXICAL_WEIGHT,
        min_score=settings.FAQ_ANSWER_MIN_SCORE,
        min_margin=settings.FAQ_ANSWER_MIN_MARGIN,
        min_phrasing_similarity=settings.FAQ_ANSWER_SAME_QUESTION_SIMILARITY,
        suggest_min_score=settings.FAQ_SUGGEST_MIN_SCORE,
    )


def knowledge_queryset(*, property: Property) -> QuerySet:
    """The answered FAQs a property's bot answers from: its own and its company's shared ones."""
    return Faq.objects.filter(company_id=property.company_id, status=FaqStatus.ANSWERED).filter(
        Q(property_id=property.pk) | Q(property__isnull=True)
    )


class _IndexCache:
    """Each process keeps the search index of recently asked properties in memory.

    A cheap aggregate (count, latest index time, latest edit) tells whether the FAQs changed since
    the index was built, so an answer or an edit counts at once, in every process. A removed
    phrasing counts too: its service touches its FAQ.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._entries: OrderedDict = OrderedDict()

    def get(self, property: Property) -> KnowledgeIndex:
        queryset = knowledge_queryset(property=property)
        stamp = tuple(
            queryset.aggregate(count=Count("id"), indexed=Max("indexed_at"), updated=Max("updated_at")).values()
        )
        with self._lock:
            entry = self._entries.get(property.pk)
            if entry is not None and entry[0] == stamp:
                self._entries.move_to_end(property.pk)
                return entry[1]
        index = _build_index(queryset)
        with self._lock:
            self._entries[property.pk] = (stamp, index)
            self._entries.move_to_end(property.pk)
            while len(self._entries) > settings.FAQ_INDEX_CACHE_SIZE:
                self._entries.popitem(last=False)
        return index

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _build_index(queryset: QuerySet) -> KnowledgeIndex:
    embedder = local_embedder()
    rows = list(
        queryset.order_by("id").values_list(
            "id", "question", "answer", "embedding", "passage_embeddings", "question_embedding", "embedding_model"
        )
    )
    vectors, questions = {}, {}
    stale = []
    for pk, question, answer, first, others, own, model in rows:
        if first is None or others is None or own is None or model != embedder.name:
            stale.append((pk, question, answer))
        else:
            vectors[pk] = np.vstack([vector_from_bytes(first), vector_from_bytes(others).reshape(-1, DIMENSIONS)])
            questions[pk] = vector_from_bytes(own)
    if stale:
        # Rows written around the services (an import) still get searched; rag/update stores them.
        logger.warning("Embedding %d FAQs that have no stored vectors; run rag/update to store them.", len(stale))
        passages = [faq_passages(question, answer) for _, question, answer in stale]
        computed = embedder.embed([text for texts in passages for text in texts] + [row[1] for row in stale])
        start = 0
        for (pk, *_), texts in zip(stale, passages, strict=True):
            vectors[pk] = computed[start : start + len(texts)]
            start += len(texts)
        for (pk, *_), vector in zip(stale, computed[start:], strict=True):
            questions[pk] = vector
    phrasings = _phrasing_vectors(queryset, embedder)
    empty = np.zeros((0, DIMENSIONS), dtype=np.float32)
    return KnowledgeIndex(
        [
            IndexedFaq(
                faq_id=str(pk),
                question=question,
                answer=answer,
                vectors=vectors[pk],
                phrasings=np.vstack(phrasings[pk]) if pk in phrasings else empty,
                question_vector=questions[pk],
            )
            for pk, question, answer, *_ in rows
        ]
    )


def _phrasing_vectors(queryset: QuerySet, embedder) -> dict:
    rows = (
        FaqPhrasing.objects.filter(faq__in=queryset.values("pk"))
        .order_by("faq_id", "created_at", "id")
        .values_list("faq_id", "text", "embedding", "embedding_model")
    )
    found: dict = {}
    stale = []
    for faq_id, text, data, model in rows:
        if data is None or model != embedder.name:
            stale.append((faq_id, text))
        else:
            found.setdefault(faq_id, []).append(vector_from_bytes(data))
    if stale:
        logger.warning("Embedding %d phrasings that have no stored vector; run rag/update to store them.", len(stale))
        computed = embedder.embed([expand(text) for _, text in stale])
        for (faq_id, _), vector in zip(stale, computed, strict=True):
            found.setdefault(faq_id, []).append(vector)
    return found


index_cache = _IndexCache()


def faq_retrieve(*, property: Property, query: str, top_k: int = 3) -> RetrievalResult:
    """The best answered FAQs for a prospect's question, and whether the first one answers it."""
    query = " ".join((query or "").split())
    if not query:
        return RetrievalResult()
    index = index_cache.get(property)
    if not len(index):
        return RetrievalResult()
    params = ranking_params()
    query = index.speller.correct(query)
    vector = local_embedder().embed([expand(query)])[0]
    # The runner-up is needed for the decision even when only one result is asked for.
    hits = index.search(query_text=query, query_vector=vector, top_k=max(top_k, 2), params=params)
    results = [
        RetrievedFaq(faq_id=hit.faq_id, question=hit.question, answer=hit.answer, score=round(hit.score, 4))
        for hit in hits[:top_k]
    ]
    return RetrievalResult(results=results, answered=is_confident(hits, params), suggested=is_suggestion(hits, params))


def knowledge_status(*, properties: list[Property]) -> list[dict]:
    """Per property: how many answered FAQs its bot uses, how many have stored vectors, and when."""
    model = MODEL_NAME
    shared = {
        row["company_id"]: row
        for row in Faq.objects.filter(
            property__isnull=True, status=FaqStatus.ANSWERED, company_id__in={p.company_id for p in properties}
        )
        .values("company_id")
        .annotate(**_status_aggregates(model))
    }
    own = {
        row["property_id"]: row
        for row in Faq.objects.filter(property__in=properties, status=FaqStatus.ANSWERED)
        .values("property_id")
        .annotate(**_status_aggregates(model))
    }
    pending = dict(
        Faq.objects.filter(property__in=properties, status__in=OPEN_FAQ_STATUSES)
        .values("property_id")
        .annotate(n=Count("id"))
        .values_list("property_id", "n")
    )
    report = []
    for property_ in properties:
        mine, theirs = own.get(property_.pk, {}), shared.get(property_.company_id, {})
        stamps = [stamp for stamp in (mine.get("last"), theirs.get("last")) if stamp is not None]
        report.append(
            {
                "property_id": property_.pk,
                "property_name": property_.name,
                "answered_faqs": mine.get("total", 0) + theirs.get("total", 0),
                "shared_faqs": theirs.get("total", 0),
                "indexed_faqs": mine.get("indexed", 0) + theirs.get("indexed", 0),
                "open_questions": pending.get(property_.pk, 0),
                "last_indexed_at": max(stamps) if stamps else None,
                "embedding_model": model,
            }
        )
    return report


def _status_aggregates(model: str) -> dict:
    return {
        "total": Count("id"),
        "indexed": Count("id", filter=Q(embedding__isnull=False, embedding_model=model)),
        "last": Max("indexed_at"),
    }


def faq_phrasings(*, faq: Faq) -> QuerySet[FaqPhrasing]:
    return faq.phrasings.defer("embedding").order_by("created_at", "id")


def faqs_assigned_to(*, queryset: QuerySet, manager_id) -> QuerySet:
    return queryset.filter(assigned_to_id=manager_id)


def tasks_assigned_to(*, queryset: QuerySet[Task], manager_id) -> QuerySet[Task]:
    return queryset.filter(assigned_to_id=manager_id)
