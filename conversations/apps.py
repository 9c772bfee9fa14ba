from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "conversations"
    verbose_name = "Prospects and conversations"

    def ready(self):
        from corsheaders.signals import check_request_enabled

        from conversations import cors, subscribers
        from core.events import subscribe

        subscribe("faq.question_escalated", subscribers.on_question_escalated)
        subscribe("faq.answered", subscribers.on_faq_answered)
        check_request_enabled.connect(cors.allow_widget_origin, dispatch_uid="conversations-widget-cors")
