"""The human-in-the-loop flow through the services the bot calls: escalate, route, answer, learn."""

import pytest

from core.errors import InvalidStatusTransition, ValidationFailed
from faqs import services
from faqs.models import Faq, FaqConversation, FaqStatus, QuestionRouting, RoutingMode, Task, TaskStatus
from faqs.selectors import faq_retrieve
from properties.models import AccessLevel
from tests.conftest import make_staff
from tests.factories import ConversationFactory, PropertyFactory
from tests.faqs.factories import make_faq

pytestmark = pytest.mark.django_db


@pytest.fixture
def property_(tenants):
    return tenants.a1


def test_escalation_creates_pending_faq_task_and_event(tenants, property_, events, django_capture_on_commit_callbacks):
    conversation = ConversationFactory(property=property_)
    with django_capture_on_commit_callbacks(execute=True):
        faq = services.question_escalate(
            property=property_, question="Do you have EV chargers?", conversation=conversation
        )

    assert faq.status == FaqStatus.PENDING
    assert faq.source_type == "chat"
    assert faq.property_id == property_.pk and faq.ask_count == 1
    assert list(faq.conversation_links.values_list("conversation_id", flat=True)) == [conversation.pk]
    task = Task.objects.get(faq=faq)
    assert task.status == TaskStatus.PENDING and task.conversation_id == conversation.pk
    # Round-robin by default, over the managers with write access: only manager_write here.
    assert task.assigned_to_id == tenants.manager_write.pk
    assert faq.assigned_to_id == tenants.manager_write.pk
    assert events.of("faq.question_escalated") == [
        {
            "faq_id": str(faq.pk),
            "task_id": str(task.pk),
            "property_id": str(property_.pk),
            "conversation_id": str(conversation.pk),
            "assigned_manager_id": str(tenants.manager_write.pk),
        }
    ]


def test_the_same_question_from_another_conversation_joins_the_open_item(
    property_, events, django_capture_on_commit_callbacks
):
    first, second = ConversationFactory(property=property_), ConversationFactory(property=property_)
    with django_capture_on_commit_callbacks(execute=True):
        faq = services.question_escalate(property=property_, question="Do you have EV chargers?", conversation=first)
        again = services.question_escalate(property=property_, question="do you have EV chargers", conversation=second)

    assert again.pk == faq.pk
    assert Faq.objects.count() == 1 and Task.objects.count() == 1
    assert again.ask_count == 2
    assert set(again.conversation_links.values_list("conversation_id", flat=True)) == {first.pk, second.pk}
    joined = events.of("faq.question_escalated")[1]
    assert joined["faq_id"] == str(faq.pk) and joined["conversation_id"] == str(second.pk)
    assert joined["task_id"] == str(Task.objects.get().pk)


def test_a_near_duplicate_joins_but_a_different_question_opens_its_own(property_):
    faq = services.question_escalate(property=property_, question="Can I bring my dog?")
    assert services.question_escalate(property=property_, question="can i bring my dogs").pk == faq.pk
    other = services.question_escalate(property=property_, question="Do you allow cats?")
    assert other.pk != faq.pk
    assert Faq.objects.filter(status=FaqStatus.PENDING).count() == 2


def test_the_same_conversation_asking_again_publishes_nothing_new(
    property_, events, django_capture_on_commit_callbacks
):
    conversation = ConversationFactory(property=property_)
    with django_capture_on_commit_callbacks(execute=True):
        services.question_escalate(property=property_, question="Is there a rooftop deck?", conversation=conversation)
        services.question_escalate(property=property_, question="Is there a rooftop deck?", conversation=conversation)
    assert len(events.of("faq.question_escalated")) == 1
    assert FaqConversation.objects.count() == 1


def test_an_answered_faq_is_not_reopened_by_the_same_question(property_):
    make_faq(property=property_, question="Is there a rooftop deck?", answer="Yes, on building B.")
    escalated = services.question_escalate(property=property_, question="Is there a rooftop deck?")
    assert escalated.status == FaqStatus.PENDING
    assert Faq.objects.count() == 2


def test_round_robin_takes_turns_over_writers_only(tenants, property_):
    second_writer = make_staff(tenants.company_a, access_level=AccessLevel.WRITE, properties=[property_])
    assigned = [
        Task.objects.get(faq=services.question_escalate(property=property_, question=text)).assigned_to_id
        for text in ("Is there a sauna?", "Do you have a dog wash station?", "Can I have a hot tub?")
    ]
    assert assigned == [tenants.manager_write.pk, second_writer.pk, tenants.manager_write.pk]
    assert tenants.manager_read.pk not in assigned


def test_fixed_routing_sends_every_question_to_the_chosen_manager(tenants, property_):
    services.routing_update(property=property_, mode=RoutingMode.FIXED, manager=tenants.admin_a)
    for text in ("Is there a sauna?", "Do you have a dog wash station?"):
        task = Task.objects.get(faq=services.question_escalate(property=property_, question=text))
        assert task.assigned_to_id == tenants.admin_a.pk


def test_fixed_routing_refuses_a_read_only_manager(tenants, property_):
    with pytest.raises(ValidationFailed):
        services.routing_update(property=property_, mode=RoutingMode.FIXED, manager=tenants.manager_read)
    assert not QuestionRouting.objects.filter(mode=RoutingMode.FIXED).exists()


def test_routing_off_leaves_the_question_pending_without_a_task(property_, events, django_capture_on_commit_callbacks):
    services.routing_update(property=property_, mode=RoutingMode.OFF, manager=None)
    with django_capture_on_commit_callbacks(execute=True):
        faq = services.question_escalate(property=property_, question="Is there a sauna?")
    assert not Task.objects.exists()
    assert events.of("faq.question_escalated")[0]["task_id"] is None
    assert events.of("faq.question_escalated")[0]["assigned_manager_id"] is None
    assert faq.status == FaqStatus.PENDING


def test_a_property_without_writers_gets_an_unassigned_task(tenants):
    lonely = PropertyFactory(company=tenants.company_a)
    faq = services.question_escalate(property=lonely, question="Is there a sauna?")
    assert Task.objects.get(faq=faq).assigned_to_id is None


def test_escalation_refuses_a_conversation_of_another_property(tenants):
    conversation = ConversationFactory(property=tenants.a2)
    with pytest.raises(ValidationFailed):
        services.question_escalate(property=tenants.a1, question="Is there a sauna?", conversation=conversation)
    assert not Faq.objects.exists()


@pytest.mark.parametrize("question", ["", "   \n "])
def test_escalation_refuses_an_empty_question(property_, question):
    with pytest.raises(ValidationFailed):
        services.question_escalate(property=property_, question=question)
    assert not Faq.objects.exists()


def test_a_long_chat_message_is_kept_to_the_question_length(property_):
    faq = services.question_escalate(property=property_, question="word " * 400)
    assert len(faq.question) == 1000 and faq.question.startswith("word word")


def test_answering_notifies_every_waiting_conversation_and_the_bot_learns_it(
    tenants, property_, events, django_capture_on_commit_callbacks
):
    first, second = ConversationFactory(property=property_), ConversationFactory(property=property_)
    question = "Do you have EV charging stations?"
    with django_capture_on_commit_callbacks(execute=True):
        faq = services.question_escalate(property=property_, question=question, conversation=first)
        services.question_escalate(property=property_, question=question, conversation=second)
    assert faq_retrieve(property=property_, query=question).answered is False

    answer = "Yes, there are six EV chargers in the north garage, free for residents."
    with django_capture_on_commit_callbacks(execute=True):
        services.faq_answer(faq=faq, answer=answer, manager=tenants.manager_write)

    assert events.of("faq.answered") == [
        {
            "faq_id": str(faq.pk),
            "property_id": str(property_.pk),
            "answer": answer,
            "manager_id": str(tenants.manager_write.pk),
            "conversation_ids": [str(first.pk), str(second.pk)],
        }
    ]
    assert Task.objects.get(faq=faq).status == TaskStatus.COMPLETED
    assert Task.objects.get(faq=faq).answer == answer
    # Part of the knowledge at once: the same question (and a reworded one) is now answered.
    for asked in (question, "are there chargers for electric cars"):
        result = faq_retrieve(property=property_, query=asked)
        assert result.results[0].faq_id == str(faq.pk)
        assert result.results[0].answer == answer
    assert faq_retrieve(property=property_, query=question).answered is True


def test_answering_twice_is_an_invalid_transition(tenants, property_):
    faq = services.question_escalate(property=property_, question="Is there a sauna?")
    services.faq_answer(faq=faq, answer="No sauna, sorry.", manager=tenants.manager_write)
    with pytest.raises(InvalidStatusTransition):
        services.faq_answer(faq=faq, answer="Still no sauna.", manager=tenants.manager_write)


def test_a_reanswer_after_review_reaches_only_conversations_still_waiting(
    tenants, property_, events, django_capture_on_commit_callbacks
):
    first = ConversationFactory(property=property_)
    faq = services.question_escalate(property=property_, question="Is there a sauna?", conversation=first)
    services.faq_answer(faq=faq, answer="No sauna.", manager=tenants.manager_write)
    services.faq_flag_for_review(faq=faq, note="We opened one in May.")
    second = ConversationFactory(property=property_)
    services.question_escalate(property=property_, question="Is there a sauna?", conversation=second)
    with django_capture_on_commit_callbacks(execute=True):
        services.faq_answer(faq=faq, answer="Yes, next to the gym.", manager=tenants.admin_a)
    assert events.of("faq.answered")[-1]["conversation_ids"] == [str(second.pk)]


def test_needs_review_takes_the_faq_out_of_the_knowledge(property_):
    faq = make_faq(property=property_, question="Is there a sauna?", answer="Yes, next to the gym.")
    assert faq_retrieve(property=property_, query="Is there a sauna?").results[0].faq_id == str(faq.pk)
    services.faq_flag_for_review(faq=faq, note="Closed for repairs.")
    assert faq_retrieve(property=property_, query="Is there a sauna?").results == []


def test_shared_faqs_answer_for_every_property_of_the_company_only(tenants):
    shared = make_faq(
        company=tenants.company_a,
        property=None,
        question="Do you accept guarantors?",
        answer="Yes, a guarantor earning five times the rent can sign with you.",
    )
    for property_ in (tenants.a1, tenants.a2):
        result = faq_retrieve(property=property_, query="can my parents co-sign the lease")
        assert result.results[0].faq_id == str(shared.pk)
    assert faq_retrieve(property=tenants.b1, query="can my parents co-sign the lease").results == []


def test_a_property_faq_is_not_used_by_the_sibling_property(tenants):
    make_faq(property=tenants.a1, question="Is there a sauna?", answer="Yes.")
    assert faq_retrieve(property=tenants.a2, query="Is there a sauna?").results == []


def test_editing_an_answer_reindexes_it(property_):
    faq = make_faq(property=property_, question="What are the office hours?", answer="Nine to five.")
    before = faq.embedding
    services.faq_update(faq=faq, answer="Eight to six, and Saturdays ten to four.")
    faq.refresh_from_db()
    assert bytes(faq.embedding) != bytes(before)
    assert faq_retrieve(property=property_, query="office hours").results[0].answer.startswith("Eight to six")


def test_assigning_moves_the_open_task_too(tenants, property_):
    faq = services.question_escalate(property=property_, question="Is there a sauna?")
    services.faq_assign(faq=faq, manager=tenants.admin_a)
    assert Task.objects.get(faq=faq).assigned_to_id == tenants.admin_a.pk


def test_answering_through_the_task_answers_the_question(
    tenants, property_, events, django_capture_on_commit_callbacks
):
    conversation = ConversationFactory(property=property_)
    faq = services.question_escalate(property=property_, question="Is there a sauna?", conversation=conversation)
    task = Task.objects.get(faq=faq)
    with django_capture_on_commit_callbacks(execute=True):
        task = services.task_answer(task=task, answer="Yes, next to the gym.", manager=tenants.manager_write)
    faq.refresh_from_db()
    assert task.status == TaskStatus.COMPLETED and faq.status == FaqStatus.ANSWERED
    assert events.of("faq.answered")[0]["conversation_ids"] == [str(conversation.pk)]
