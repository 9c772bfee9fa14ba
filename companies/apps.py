from django.apps import AppConfig


class CompaniesConfig(AppConfig):
    name = "companies"
    verbose_name = "Companies"

    def ready(self):
        from core.clients.openai import check_openai
        from core.integrations import register_integration_check

        register_integration_check("openai", check_openai)
