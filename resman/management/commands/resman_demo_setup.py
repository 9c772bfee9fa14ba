"""Points a company (the demo company by default) at a ResMan simulator and runs a first sync.

    python manage.py resman_demo_setup --simulator-url http://127.0.0.1:8765

Sets the company's ResMan connection to the simulator's credentials, gives its properties the
simulator's property ids (matched by name, else in order), maps the chat's leads to the simulator's
"Website Chat" source and "Bot Agent" employee, then pulls the pick lists, the units and the
prospects of each property.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from companies.models import Company
from core.errors import DomainError
from resman.client import ResManClient
from resman.models import LeadLink, PropertyResManSettings
from resman.services.common import property_settings_update, references_sync
from resman.services.leads import property_poll
from resman.services.units import units_sync
from resman.simulator import ACCOUNT_ID, API_KEY, PARTNER_ID

DEMO_COMPANY = "Sunrise Living (demo)"


class Command(BaseCommand):
    help = "Configures a company's ResMan connection against the simulator and runs a first sync."

    def add_arguments(self, parser):
        parser.add_argument("--simulator-url", default="http://127.0.0.1:8765")
        parser.add_argument("--company", default=DEMO_COMPANY, help="The company's name.")

    def handle(self, *args, **options):
        company = Company.objects.filter(name=options["company"]).first()
        if company is None:
            raise CommandError(f"No company named {options['company']!r}: run `manage.py seed_demo` first.")
        url = options["simulator_url"].rstrip("/")
        pairs = self._match(url, list(company.properties.order_by("name", "id")))
        with transaction.atomic():
            company.resman_base_url = url
            company.resman_account_id = ACCOUNT_ID
            company.resman_integration_partner_id = PARTNER_ID
            company.resman_api_key = API_KEY
            company.save()
            for property_, resman_id in pairs:
                if property_.resman_property_id != resman_id:
                    # Another ResMan property: the guest cards and the poll cursor of the old one do not apply.
                    LeadLink.objects.filter(property=property_).delete()
                    PropertyResManSettings.objects.filter(property=property_).update(lead_cursor=None)
                    property_.resman_property_id = resman_id
                    property_.save(update_fields=["resman_property_id", "updated_at"])
                property_settings_update(
                    property=property_,
                    default_source_id="SRC-CHAT",
                    default_agent_id="EMP-2",
                    default_lost_reason_id="LR-1",
                    source_mappings={"chat": "SRC-CHAT", "website": "SRC-WEB"},
                )
        self.stdout.write(f"{company.name} now talks to the ResMan simulator at {url}.")
        for property_, _ in pairs:
            try:
                references = references_sync(property=property_)
                feed = units_sync(property=property_)
                poll = property_poll(property_id=property_.pk)
            except DomainError as exc:
                raise CommandError(f"{property_.name}: {exc.message} Is the simulator running?") from exc
            self.stdout.write(
                f"  {property_.name}: {references['source']} sources, {references['employee']} agents; "
                f"{feed['units']} units ({feed['available_units']} available); "
                f"{poll.get('created', 0)} prospects pulled."
            )

    def _match(self, url: str, properties) -> list:
        """Our properties with the simulator's ids: by name where the names agree, else in order."""
        client = ResManClient(
            base_url=url, integration_partner_id=PARTNER_ID, api_key=API_KEY, account_id=ACCOUNT_ID, read_attempts=1
        )
        try:
            remote = client.get_properties()
        except DomainError as exc:
            raise CommandError(f"{exc.message} Is the simulator running at {url}?") from exc
        by_name = {item["name"]: item["id"] for item in remote}
        spare = [item["id"] for item in remote if item["name"] not in {p.name for p in properties}]
        pairs = []
        for property_ in properties:
            resman_id = by_name.get(property_.name) or (spare.pop(0) if spare else None)
            if resman_id:
                pairs.append((property_, resman_id))
        return pairs
