import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from analytics.models import ConversationAnalytics
from tests.factories import ConversationFactory


class ConversationAnalyticsFactory(DjangoModelFactory):
    """A stored record, for reads over many rows (recomputation has its own tests)."""

    class Meta:
        model = ConversationAnalytics

    conversation = factory.SubFactory(ConversationFactory)
    property = factory.SelfAttribute("conversation.property")
    prospect = factory.SelfAttribute("conversation.prospect")
    started_at = factory.LazyFunction(timezone.now)
    computed_at = factory.LazyFunction(timezone.now)
    chat_session_started = True
    user_messages_sent = 3
    bot_messages_received = 3
    engagement_score = "low"
    engagement_points = 3
