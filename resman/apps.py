from django.apps import AppConfig


class ResmanConfig(AppConfig):
    name = "resman"
    verbose_name = "ResMan integration"

    def ready(self):
        from core.events import subscribe
        from core.health import register_check
        from core.integrations import register_integration_check
        from resman import checks, subscribers

        subscribe("lead.contact_captured", subscribers.on_lead_changed)
        subscribe("lead.updated", subscribers.on_lead_changed)
        for event in ("tour.booked", "tour.rescheduled", "tour.cancelled"):
            subscribe(event, subscribers.on_tour_changed(event))
        register_check("resman", checks.resman_health)
        register_integration_check("resman", checks.resman_connection_check)
