"""Writes of the faqs app: FAQs and their answer workflow, tasks, question routing, the index."""

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from core.errors import InvalidStatusTransition, ValidationFailed
from core.events import publish
from faqs.aliases import expand, normalize
from faqs.embedding import local_embedder, vector_from_bytes, vector_to_bytes
from faqs.models import (
    OPEN_FAQ_STATUSES,
    OPEN_TASK_STATUSES,
    Faq,
    FaqConversation,
    FaqPhrasing,
    FaqSource,
    FaqStatus,
    QuestionRouting,
    RoutingMode,
    Task,
    TaskStatus,
)
from faqs.ranking import faq_passages
from properties.models import AccessLevel, Property, PropertyManager, PropertyManagerAssignment

INDEX_BATCH_SIZE = 64
MAX_QUESTION_LENGTH = 1000
# A question asked very often in ever new words stops learning them here: each one costs every
# retrieval of the property a vector product, and the first fifty cover the common wordings.
MAX_PHRASINGS_PER_FAQ = 50
# Which status moves each FAQ action allows (the API's state machine).
FAQ_ANSWER_FROM = {FaqStatus.PENDING, FaqStatus.NEEDS_REVIEW}
FAQ_REVIEW_FROM = {FaqStatus.PENDING, FaqStatus.ANSWERED}
FAQ_ASSIGN_FROM = set(OPEN_FAQ_STATUSES)
TASK_TRANSITIONS = {
    TaskStatus.PENDING: {TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED, TaskStatus.CANCELLED},
    TaskStatus.IN_PROGRESS: {TaskStatus.PENDING, TaskStatus.COMPLETED, TaskStatus.CANCELLED},
    TaskStatus.COMPLETED: set(),
    TaskStatus.CANCELLED: {TaskStatus.PENDING},
}


# --- the index --------------------------------------------------------------------------------
def faqs_embed(*, faqs: list[Faq]) -> None:
    """Computes the vectors of the FAQs in memory (the caller saves them)."""
    if not faqs:
        return
    embedder = local_embedder()
    passages = [faq_passages(faq.question, faq.answer) for faq in faqs]
    texts = [text for texts in passages for text in texts] + [faq.question for faq in faqs]
    vectors = embedder.embed(texts)
    now = timezone.now()
    start = 0
    for position, faq in enumerate(faqs):
        own = vectors[start : start + len(passages[position])]
        start += len(passages[position])
        faq.embedding = vector_to_bytes(own[0])
        faq.passage_embeddings = vector_to_bytes(own[1:])
        faq.question_embedding = vector_to_bytes(vectors[len(texts) - len(faqs) + position])
        faq.embedding_model = embedder.name
        faq.indexed_at = now


def phrasing_vectors(texts: list[str]) -> list[bytes]:
    """Phrasing vectors are of the alias-expanded wording, like the question's at retrieval."""
    return [vector_to_bytes(vector) for vector in local_embedder().embed([expand(text) for text in texts])]


INDEX_FIELDS = ["embedding", "passage_embeddings", "question_embedding", "embedding_model", "indexed_at"]


def faqs_reindex(*, queryset, force: bool = False) -> int:
    """Recomputes the vectors that are missing, stale or (with `force`) all of them, the FAQs' and
    their phrasings'. Returns how many FAQs and phrasings got new vectors."""
    model = local_embedder().name
    faqs, phrasings = queryset, FaqPhrasing.objects.filter(faq__in=queryset.values("pk"))
    if not force:
        # Every write through these services embeds changed texts, so only rows written around
        # them (a bulk import, a model change) can lack fresh vectors.
        faqs = faqs.filter(
            Q(embedding__isnull=True)
            | Q(passage_embeddings__isnull=True)
            | Q(question_embedding__isnull=True)
            | ~Q(embedding_model=model)
        )
        phrasings = phrasings.filter(Q(embedding__isnull=True) | ~Q(embedding_model=model))
    ids = list(faqs.order_by("id").values_list("id", flat=True))
    for start in range(0, len(ids), INDEX_BATCH_SIZE):
        batch = list(Faq.objects.filter(pk__in=ids[start : start + INDEX_BATCH_SIZE]).only("id", "question", "answer"))
        faqs_embed(faqs=batch)
        Faq.objects.bulk_update(batch, INDEX_FIELDS)
    phrasing_ids = list(phrasings.order_by("id").values_list("id", flat=True))
    for start in range(0, len(phrasing_ids), INDEX_BATCH_SIZE):
        batch = list(
            FaqPhrasing.objects.filter(pk__in=phrasing_ids[start : start + INDEX_BATCH_SIZE]).only("id", "text")
        )
        for phrasing, vector in zip(batch, phrasing_vectors([phrasing.text for phrasing in batch]), strict=True):
            phrasing.embedding, phrasing.embedding_model = vector, model
        FaqPhrasing.objects.bulk_update(batch, ["embedding", "embedding_model", "updated_at"])
    return len(ids) + len(phrasing_ids)


def reindex_queryset_for(*, property: Property | None = None, company_id=None):
    """The FAQs a reindex of one property (with its company's shared FAQs) or one company covers."""
    if property is not None:
        return Faq.objects.filter(company_id=property.company_id).filter(
            Q(property=property) | Q(property__isnull=True)
        )
    return Faq.objects.filter(company_id=company_id)


# --- FAQs -------------------------------------------------------------------------------------
def _validate_scope(*, company, property: Property | None) -> None:
    if property is not None and property.company_id != company.pk:
        raise ValidationFailed("The property belongs to another company.", details={"property_id": ["Not found."]})


@transaction.atomic
def faq_create(
    *,
    company,
    property: Property | None,
    question: str,
    answer: str = "",
    category: str = "",
    manager: PropertyManager | None = None,
) -> Faq:
    """Staff write an FAQ: with an answer it is knowledge at once, without one it waits as pending."""
    _validate_scope(company=company, property=property)
    answered = bool(answer.strip())
    faq = Faq(
        company=company,
        property=property,
        question=question,
        answer=answer,
        category=category,
        source_type=FaqSource.MANUAL,
        status=FaqStatus.ANSWERED if answered else FaqStatus.PENDING,
        answered_by=manager if answered else None,
        answered_at=timezone.now() if answered else None,
    )
    faqs_embed(faqs=[faq])
    faq.save()
    return faq


@transaction.atomic
def faq_update(*, faq: Faq, **fields) -> Faq:
    """Edits the texts or the scope; the status only moves through the workflow actions."""
    if "property" in fields:
        _validate_scope(company=faq.company, property=fields["property"])
    retext = any(fields.get(name, getattr(faq, name)) != getattr(faq, name) for name in ("question", "answer"))
    for name, value in fields.items():
        setattr(faq, name, value)
    if faq.status == FaqStatus.ANSWERED and not faq.answer.strip():
        raise ValidationFailed("An answered FAQ needs an answer.", details={"answer": ["This field may not be blank."]})
    if retext or faq.embedding is None:
        faqs_embed(faqs=[faq])
    faq.save()
    return faq


@transaction.atomic
def faq_delete(*, faq: Faq) -> None:
    faq.tasks.filter(status__in=OPEN_TASK_STATUSES).update(status=TaskStatus.CANCELLED, updated_at=timezone.now())
    faq.delete()


def _check_assignee(*, manager: PropertyManager, property_id, company_id) -> None:
    """The assignee must be able to answer: staff of the company with write access to the property."""
    if manager.company_id != company_id or not manager.user.is_active:
        raise ValidationFailed("This manager cannot be assigned here.", details={"manager_id": ["Not eligible."]})
    if manager.is_company_admin:
        return
    can_write = (
        property_id is not None
        and _writers(
            PropertyManagerAssignment.objects.filter(property_id=property_id, property_manager=manager)
        ).exists()
    )
    if not can_write:
        raise ValidationFailed(
            "This manager has no write access to the property.", details={"manager_id": ["Not eligible."]}
        )


@transaction.atomic
def faq_assign(*, faq: Faq, manager: PropertyManager) -> Faq:
    if faq.status not in FAQ_ASSIGN_FROM:
        raise InvalidStatusTransition(faq.status, "assigned", FAQ_ASSIGN_FROM)
    _check_assignee(manager=manager, property_id=faq.property_id, company_id=faq.company_id)
    faq.assigned_to = manager
    faq.save(update_fields=["assigned_to", "updated_at"])
    faq.tasks.filter(status__in=OPEN_TASK_STATUSES).update(assigned_to=manager, updated_at=timezone.now())
    return faq


@transaction.atomic
def faq_answer(*, faq: Faq, answer: str, manager: PropertyManager | None) -> Faq:
    """Answers a question: it becomes knowledge at once, its open tasks complete, and every
    conversation still waiting on it gets the answer (through the `faq.answered` event)."""
    faq = Faq.objects.select_for_update().get(pk=faq.pk)
    if faq.status not in FAQ_ANSWER_FROM:
        raise InvalidStatusTransition(faq.status, FaqStatus.ANSWERED, FAQ_ANSWER_FROM)
    answer = answer.strip() or faq.answer.strip()
    if not answer:
        raise ValidationFailed("An answer is required.", details={"answer": ["This field is required."]})
    now = timezone.now()
    faq.answer = answer
    faq.status = FaqStatus.ANSWERED
    faq.answered_by = manager
    faq.answered_at = now
    faq.review_note = ""
    faqs_embed(faqs=[faq])
    faq.save()
    faq.tasks.filter(status__in=OPEN_TASK_STATUSES).update(
        status=TaskStatus.COMPLETED, answer=answer, completed_at=now, updated_at=now
    )
    waiting = FaqConversation.objects.select_for_update().filter(faq=faq, answer_sent_at__isnull=True)
    conversation_ids = [
        str(pk) for pk in waiting.order_by("created_at", "id").values_list("conversation_id", flat=True)
    ]
    waiting.update(answer_sent_at=now, updated_at=now)
    publish(
        "faq.answered",
        faq_id=str(faq.pk),
        property_id=str(faq.property_id) if faq.property_id else None,
        answer=answer,
        manager_id=str(manager.pk) if manager else None,
        conversation_ids=conversation_ids,
    )
    return faq


@transaction.atomic
def faq_flag_for_review(*, faq: Faq, note: str = "") -> Faq:
    """Takes an FAQ out of the bot's knowledge until someone answers it again."""
    if faq.status not in FAQ_REVIEW_FROM:
        raise InvalidStatusTransition(faq.status, FaqStatus.NEEDS_REVIEW, FAQ_REVIEW_FROM)
    faq.status = FaqStatus.NEEDS_REVIEW
    faq.review_note = note
    faq.save(update_fields=["status", "review_note", "updated_at"])
    return faq


# --- the human-in-the-loop entry point ---------------------------------------------------------
def _find_open_duplicate(*, property: Property, question: str, vector: np.ndarray) -> Faq | None:
    candidates = Faq.objects.filter(property=property, status__in=OPEN_FAQ_STATUSES).only(
        "id", "question", "question_embedding"
    )
    wanted = normalize(question)
    best, best_similarity = None, settings.FAQ_DUPLICATE_MIN_SIMILARITY
    for candidate in candidates:
        if normalize(candidate.question) == wanted:
            return candidate
        if candidate.question_embedding is None:
            continue
        similarity = float(vector_from_bytes(candidate.question_embedding) @ vector)
        if similarity >= best_similarity:
            best, best_similarity = candidate, similarity
    return best


def question_escalate(*, property: Property, question: str, conversation=None) -> Faq:
    """A prospect's question the bot could not answer: a pending FAQ (or the open one it repeats),
    linked to the conversation, and a task for a manager where the property routes questions.
    The prospect's wording is kept as a phrasing of the FAQ, so that once it is answered the bot
    answers the same question in these words by itself.

    Publishes `faq.question_escalated` when something new happened (a new question, or another
    conversation waiting on an open one).
    """
    question = " ".join((question or "").split())
    if not question:
        raise ValidationFailed("The question is empty.", details={"question": ["This field may not be blank."]})
    # A chat message may be longer than a question; its start is what a manager reads first.
    question = question[:MAX_QUESTION_LENGTH]
    if conversation is not None and conversation.property_id != property.pk:
        raise ValidationFailed("The conversation belongs to another property.")
    expanded = expand(question)
    vectors = local_embedder().embed([question] if expanded == question else [question, expanded])
    phrasing_vector = vector_to_bytes(vectors[-1])
    with transaction.atomic():
        # One escalation at a time per property, so a question asked twice at once opens one item.
        routing = _routing_locked(property)
        faq = _find_open_duplicate(property=property, question=question, vector=vectors[0])
        created = faq is None
        if created:
            faq = Faq(
                company_id=property.company_id,
                property=property,
                question=question,
                source_type=FaqSource.CHAT,
                status=FaqStatus.PENDING,
                ask_count=1,
            )
            faqs_embed(faqs=[faq])
            faq.save()
        else:
            Faq.objects.filter(pk=faq.pk).update(ask_count=F("ask_count") + 1, updated_at=timezone.now())
            faq.refresh_from_db()
        _phrasing_learn(faq=faq, text=question, vector=phrasing_vector, conversation=conversation)
        linked = False
        if conversation is not None:
            _, linked = FaqConversation.objects.get_or_create(
                faq=faq, conversation=conversation, defaults={"asked_as": question}
            )
        task = faq.tasks.filter(status__in=OPEN_TASK_STATUSES).order_by("created_at").first()
        if task is None and routing.mode != RoutingMode.OFF:
            manager = _next_assignee(routing)
            task = Task.objects.create(
                property=property, conversation=conversation, faq=faq, question=question, assigned_to=manager
            )
            if manager is not None and faq.assigned_to_id is None:
                faq.assigned_to = manager
                faq.save(update_fields=["assigned_to", "updated_at"])
        if created or linked:
            publish(
                "faq.question_escalated",
                faq_id=str(faq.pk),
                task_id=str(task.pk) if task else None,
                property_id=str(property.pk),
                conversation_id=str(conversation.pk) if conversation is not None else None,
                assigned_manager_id=str(task.assigned_to_id) if task and task.assigned_to_id else None,
            )
    return faq


# --- learned phrasings ------------------------------------------------------------------------
def _phrasing_learn(*, faq: Faq, text: str, vector: bytes, conversation) -> FaqPhrasing | None:
    """Keeps a prospect's wording of the FAQ's question, unless it is known or the FAQ has enough.
    Runs inside the escalation's lock, so the count and the wording check see every other one."""
    wording = normalize(text)
    known = faq.phrasings.filter(normalized=wording).exists()
    if known or not wording or faq.phrasings.count() >= MAX_PHRASINGS_PER_FAQ:
        return None
    return FaqPhrasing.objects.create(
        faq=faq,
        text=text,
        normalized=wording,
        conversation=conversation,
        embedding=vector,
        embedding_model=local_embedder().name,
    )


@transaction.atomic
def phrasing_delete(*, phrasing: FaqPhrasing) -> None:
    """A wording that does not ask the FAQ's question: the bot stops answering it with this FAQ.
    Touching the FAQ tells every process's index cache that its knowledge changed."""
    Faq.objects.filter(pk=phrasing.faq_id).update(updated_at=timezone.now())
    phrasing.delete()


# --- routing ----------------------------------------------------------------------------------
def _writers(assignments):
    """Assignments that give write access (their own level, or else the manager's)."""
    return assignments.filter(property_manager__user__is_active=True).filter(
        Q(access_level=AccessLevel.WRITE) | Q(access_level="", property_manager__access_level=AccessLevel.WRITE)
    )


def _routing_locked(property: Property) -> QuestionRouting:
    QuestionRouting.objects.get_or_create(property=property)
    return QuestionRouting.objects.select_for_update().get(property=property)


def _next_assignee(routing: QuestionRouting) -> PropertyManager | None:
    """The chosen manager while they can still answer; otherwise the next one in turn."""
    writers = list(
        _writers(PropertyManagerAssignment.objects.filter(property_id=routing.property_id))
        .order_by("created_at", "id")
        .values_list("property_manager_id", flat=True)
    )
    if routing.mode == RoutingMode.FIXED and routing.manager_id is not None:
        manager = routing.manager
        if manager.user.is_active and (manager.is_company_admin or manager.pk in writers):
            return manager
    if not writers:
        return None
    following = writers.index(routing.last_assigned_id) + 1 if routing.last_assigned_id in writers else 0
    chosen = writers[following % len(writers)]
    routing.last_assigned_id = chosen
    routing.save(update_fields=["last_assigned", "updated_at"])
    return PropertyManager.objects.get(pk=chosen)


def routing_validate(*, property: Property, mode: str, manager: PropertyManager | None) -> None:
    if mode == RoutingMode.FIXED:
        if manager is None:
            raise ValidationFailed(
                "The fixed mode needs a manager.", details={"manager_id": ["This field is required."]}
            )
        _check_assignee(manager=manager, property_id=property.pk, company_id=property.company_id)


@transaction.atomic
def routing_update(*, property: Property, mode: str, manager: PropertyManager | None) -> QuestionRouting:
    routing_validate(property=property, mode=mode, manager=manager)
    routing = _routing_locked(property)
    routing.mode = mode
    routing.manager = manager if mode == RoutingMode.FIXED else None
    routing.save()
    return routing


# --- tasks ------------------------------------------------------------------------------------
def _validate_task_links(*, property: Property, conversation) -> None:
    if conversation is not None and conversation.property_id != property.pk:
        raise ValidationFailed(
            "The conversation belongs to another property.", details={"conversation_id": ["Not found."]}
        )


@transaction.atomic
def task_create(
    *, property: Property, question: str, conversation=None, assigned_to: PropertyManager | None = None
) -> Task:
    _validate_task_links(property=property, conversation=conversation)
    if assigned_to is not None:
        _check_assignee(manager=assigned_to, property_id=property.pk, company_id=property.company_id)
    return Task.objects.create(property=property, question=question, conversation=conversation, assigned_to=assigned_to)


@transaction.atomic
def task_update(*, task: Task, **fields) -> Task:
    _validate_task_links(property=task.property, conversation=fields.get("conversation", task.conversation))
    for name, value in fields.items():
        setattr(task, name, value)
    task.save()
    return task


def task_delete(*, task: Task) -> None:
    task.delete()


def _require_open(task: Task, target: str) -> None:
    if task.status not in OPEN_TASK_STATUSES:
        raise InvalidStatusTransition(task.status, target, OPEN_TASK_STATUSES)


@transaction.atomic
def task_assign(*, task: Task, manager: PropertyManager | None) -> Task:
    """Assigns (or with None, unassigns) an open task; its question follows."""
    _require_open(task, "assigned" if manager else "unassigned")
    if manager is not None:
        _check_assignee(manager=manager, property_id=task.property_id, company_id=task.property.company_id)
    task.assigned_to = manager
    task.save(update_fields=["assigned_to", "updated_at"])
    if task.faq_id is not None:
        Faq.objects.filter(pk=task.faq_id, status__in=OPEN_FAQ_STATUSES).update(
            assigned_to=manager, updated_at=timezone.now()
        )
    return task


@transaction.atomic
def task_set_status(*, task: Task, status: str) -> Task:
    allowed = TASK_TRANSITIONS[TaskStatus(task.status)]
    if status not in allowed:
        raise InvalidStatusTransition(task.status, status, allowed)
    task.status = status
    task.completed_at = timezone.now() if status == TaskStatus.COMPLETED else None
    task.save(update_fields=["status", "completed_at", "updated_at"])
    return task


@transaction.atomic
def task_answer(*, task: Task, answer: str, manager: PropertyManager | None) -> Task:
    """Answering a question's task answers the question itself (see `faq_answer`)."""
    _require_open(task, TaskStatus.COMPLETED)
    if not answer.strip():
        raise ValidationFailed("An answer is required.", details={"answer": ["This field may not be blank."]})
    if task.faq_id is not None and task.faq.status in FAQ_ANSWER_FROM:
        faq_answer(faq=task.faq, answer=answer, manager=manager)
        task.refresh_from_db()
        return task
    task.answer = answer.strip()
    task.status = TaskStatus.COMPLETED
    task.completed_at = timezone.now()
    task.save(update_fields=["answer", "status", "completed_at", "updated_at"])
    return task
