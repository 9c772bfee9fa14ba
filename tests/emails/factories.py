import factory
from factory.django import DjangoModelFactory

from emails.models import EmailCampaign, EmailDraft, EmailStatus, EmailTemplate
from tests.factories import ConversationFactory, PropertyFactory


class EmailDraftFactory(DjangoModelFactory):
    class Meta:
        model = EmailDraft

    conversation = factory.SubFactory(ConversationFactory)
    lead = factory.SelfAttribute("conversation.prospect")
    subject = factory.Sequence(lambda n: f"Following up {n}")
    content = "Hi Jamie,\n\nThanks for chatting with us about the two-bedroom homes.\n\nSam"
    status = EmailStatus.DRAFT


class EmailTemplateFactory(DjangoModelFactory):
    class Meta:
        model = EmailTemplate

    company = factory.SelfAttribute("property.company")
    property = factory.SubFactory(PropertyFactory)
    name = factory.Sequence(lambda n: f"Template {n}")
    subject = "Welcome to {{ property_name }}"
    content = "Hi {{ first_name }},\n\nThanks for your interest in {{ property_name }}."


class EmailCampaignFactory(DjangoModelFactory):
    class Meta:
        model = EmailCampaign

    property = factory.SubFactory(PropertyFactory)
    title = factory.Sequence(lambda n: f"Spring special {n}")
    description = "One month free on 12-month leases."
    template_content = "Hi {{ first_name }},\n\n{{ property_name }} has one month free this spring."
