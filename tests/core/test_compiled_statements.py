"""core.db: statements built once and re-bound must read and write exactly what the ORM would."""

import uuid
from datetime import date

import pytest
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from conversations.models import Conversation, Message
from core.db import CompiledSelect, insert_rows, update_row
from tests.factories import ConversationFactory, ProspectFactory

pytestmark = pytest.mark.django_db


def locked_with_stored_id(pk, client_message_id):
    stored = Message.objects.filter(conversation=OuterRef("pk"), client_message_id=client_message_id)
    return (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("prospect")
        .annotate(stored_id=Subquery(stored.values("pk")[:1]))
        .filter(pk=pk)
    )


PARAMETERS = {"pk": Conversation._meta.pk, "client_message_id": Message._meta.get_field("client_message_id")}


def message(conversation, seq, **fields):
    return Message(conversation=conversation, sender="prospect", text=f"m{seq}", seq=seq, **fields)


def test_compiled_select_builds_what_the_queryset_builds(django_assert_num_queries):
    prospect = ProspectFactory(first_name="Ada", email="ada@example.com")
    conversation = ConversationFactory(prospect=prospect, apartment_size_preference="2br", price_range_max=1900)
    stored = message(conversation, 1, client_message_id="abc")
    stored.save()
    compiled = CompiledSelect(locked_with_stored_id, parameters=PARAMETERS)
    with transaction.atomic():
        expected = locked_with_stored_id(conversation.pk, "abc").get()
        with django_assert_num_queries(1):
            got = compiled.first(pk=conversation.pk, client_message_id="abc")
            assert got.prospect.email == "ada@example.com"  # select_related: no second query
    for field in Conversation._meta.concrete_fields:
        assert getattr(got, field.attname) == getattr(expected, field.attname), field.name
    assert got.stored_id == expected.stored_id == stored.pk
    assert got._state.adding is False and got._state.db == "default"


def test_compiled_select_binds_new_values_on_every_call():
    first, second = ConversationFactory(), ConversationFactory()
    message(second, 1, client_message_id="x").save()
    compiled = CompiledSelect(locked_with_stored_id, parameters=PARAMETERS)
    with transaction.atomic():
        assert compiled.first(pk=first.pk, client_message_id="x").pk == first.pk
        assert compiled.first(pk=first.pk, client_message_id="x").stored_id is None
        assert compiled.first(pk=second.pk, client_message_id="x").stored_id is not None
        assert compiled.first(pk=second.pk, client_message_id="y").stored_id is None
        assert compiled.first(pk=uuid.uuid4(), client_message_id="x") is None


def test_compiled_select_refuses_a_parameter_the_query_ignores():
    compiled = CompiledSelect(lambda pk, client_message_id: Conversation.objects.filter(pk=pk), parameters=PARAMETERS)
    with pytest.raises(ValueError, match="client_message_id"):
        compiled.first(pk=uuid.uuid4(), client_message_id="x")


def test_update_row_writes_the_named_fields_only():
    prospect = ProspectFactory()
    conversation = ConversationFactory(price_range_min=1000, lead_score=5)
    conversation.price_range_min = None  # NULL goes through as a parameter
    conversation.pet_details = {"dog": 2}
    conversation.move_in_date = date(2027, 3, 15)
    conversation.prospect = prospect  # a foreign key writes its id
    conversation.lead_score = 99  # not named: not written
    conversation.updated_at = timezone.now()
    fields = ["price_range_min", "pet_details", "move_in_date", "prospect", "updated_at"]
    assert update_row(conversation, fields) == 1
    stored = Conversation.objects.get(pk=conversation.pk)
    assert stored.price_range_min is None
    assert stored.pet_details == {"dog": 2}
    assert stored.move_in_date == date(2027, 3, 15)
    assert stored.prospect_id == prospect.pk
    assert stored.lead_score == 5
    assert stored.updated_at == conversation.updated_at
    missing = Conversation(pk=uuid.uuid4())
    assert update_row(missing, ["lead_score"]) == 0


def test_insert_rows_stores_what_bulk_create_stores():
    conversation = ConversationFactory()
    rows = [message(conversation, 1, client_message_id="a", metadata={"k": [1]}), message(conversation, 2)]
    insert_rows(rows)
    insert_rows([message(conversation, 3)])
    stored = list(Message.objects.filter(conversation=conversation).order_by("seq"))
    assert [(m.seq, m.text, m.client_message_id, m.metadata) for m in stored] == [
        (1, "m1", "a", {"k": [1]}),
        (2, "m2", None, {}),
        (3, "m3", None, {}),
    ]
    assert all(m.created_at is not None for m in rows)  # auto_now_add ran, as in bulk_create
    assert stored[0].created_at == rows[0].created_at
    assert all(m._state.adding is False for m in rows)
