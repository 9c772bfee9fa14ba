from django.apps import AppConfig


class ToursConfig(AppConfig):
    name = "tours"
    verbose_name = "Tours and calendars"

    def ready(self):
        from core.integrations import register_integration_check
        from tours.calendars import calendly_connection_check

        register_integration_check("calendly", calendly_connection_check)
