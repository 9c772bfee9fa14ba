from django.apps import AppConfig


class EmailsConfig(AppConfig):
    name = "emails"
    verbose_name = "Emails"

    def ready(self):
        from core.events import subscribe
        from core.integrations import register_integration_check
        from emails import checks, subscribers

        subscribe("tour.booked", subscribers.on_tour_booked)
        subscribe("lead.contact_captured", subscribers.on_contact_captured)
        register_integration_check("sendgrid", checks.sendgrid_connection_check)
