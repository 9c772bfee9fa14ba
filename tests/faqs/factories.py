import factory
from factory.django import DjangoModelFactory

from faqs.models import Faq, Task
from tests.factories import PropertyFactory


class TaskFactory(DjangoModelFactory):
    class Meta:
        model = Task

    property = factory.SubFactory(PropertyFactory)
    question = factory.Sequence(lambda n: f"Question number {n}?")


def make_faq(
    *, property=None, company=None, question="What is your pet policy?", answer="Cats and dogs welcome.", **fields
) -> Faq:
    """An FAQ written through the service, so it carries its vectors like a real one."""
    from faqs.services import faq_create

    return faq_create(
        company=company or property.company, property=property, question=question, answer=answer, **fields
    )


def make_pending(*, property, question="Do you have EV chargers?") -> Faq:
    return make_faq(property=property, question=question, answer="")


def make_phrasing(*, faq, text: str, conversation=None):
    """A learned wording with its vector, as an escalation leaves it (for FAQs written by staff)."""
    from faqs.aliases import normalize
    from faqs.embedding import local_embedder
    from faqs.models import FaqPhrasing
    from faqs.services import phrasing_vectors

    (vector,) = phrasing_vectors([text])
    return FaqPhrasing.objects.create(
        faq=faq,
        text=text,
        normalized=normalize(text),
        conversation=conversation,
        embedding=vector,
        embedding_model=local_embedder().name,
    )
