import factory
from factory.django import DjangoModelFactory

from tests.factories import ConversationFactory


class MessageFactory(DjangoModelFactory):
    class Meta:
        model = "conversations.Message"

    conversation = factory.SubFactory(ConversationFactory)
    sender = "prospect"
    text = factory.Sequence(lambda n: f"Message {n}")
    seq = factory.Sequence(lambda n: n + 1)


class LeadNotificationFactory(DjangoModelFactory):
    class Meta:
        model = "conversations.LeadNotification"

    conversation = factory.SubFactory(ConversationFactory)
    notification_type = "qualified_lead"
    title = "New qualified lead"
    status = "sent"
