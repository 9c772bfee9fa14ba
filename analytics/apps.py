from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Analytics (Amplitude)"

    def ready(self):
        from corsheaders.signals import check_request_enabled

        from analytics import checks, cors, subscribers
        from core.events import subscribe
        from core.health import register_check
        from core.integrations import register_integration_check

        for event, handler in subscribers.HANDLERS.items():
            subscribe(event, handler)
        register_check("analytics", checks.analytics_health)
        register_integration_check("amplitude", checks.amplitude_connection_check)
        check_request_enabled.connect(cors.allow_widget_events, dispatch_uid="analytics-widget-cors")
