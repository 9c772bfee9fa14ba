from django.apps import AppConfig


class PropertiesConfig(AppConfig):
    name = "properties"
    verbose_name = "Properties and managers"

    def ready(self):
        from properties import signals

        signals.connect()
