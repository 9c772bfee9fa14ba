"""Demo data for a first run: a company, two properties, an admin and a manager."""

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User
from companies.models import Company
from properties.models import AccessLevel, Property, PropertyManager, PropertyManagerAssignment, StaffRole

DEMO_LOGINS = [
    # email, password, role, first name, last name
    ("platform@demo.local", "demo-platform-pass", None, "Pat", "Platform"),
    ("admin@demo.local", "demo-admin-pass", StaffRole.COMPANY_ADMIN, "Alex", "Admin"),
    ("manager@demo.local", "demo-manager-pass", StaffRole.PROPERTY_MANAGER, "Morgan", "Manager"),
]

DEMO_PROPERTIES = [
    {
        "name": "Maple Court Apartments",
        "address": "1200 Maple Avenue",
        "city": "Austin",
        "state": "TX",
        "zip_code": "78701",
        "property_type": "apartment",
        "units_count": 240,
        "time_zone": "America/Chicago",
        "website_url": "http://localhost:8000",
        "amenities": ["Pool", "Fitness center", "Dog park", "Covered parking"],
        "features": ["In-unit washer/dryer", "Balcony"],
        "chatbot_welcome_message": "Hi! I'm the Maple Court leasing assistant. How can I help?",
        "chatbot_business_hours": {
            day: [{"open": "09:00", "close": "18:00"}]
            for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
        },
    },
    {
        "name": "Harbor View Residences",
        "address": "88 Harbor Drive",
        "city": "San Diego",
        "state": "CA",
        "zip_code": "92101",
        "property_type": "apartment",
        "units_count": 120,
        "time_zone": "America/Los_Angeles",
        "amenities": ["Rooftop deck", "Bike storage"],
        "features": ["Ocean views"],
        "chatbot_theme_color": "#0F766E",
        "chatbot_welcome_message": "Welcome to Harbor View! Ask me anything about our homes.",
    },
]


class Command(BaseCommand):
    help = "Creates (or refreshes) the demo company, properties and logins, and prints the logins."

    @transaction.atomic
    def handle(self, *args, **options):
        company, _ = Company.objects.get_or_create(
            name="Sunrise Living (demo)",
            defaults={"contact_email": "leasing@demo.local", "contact_phone": "+1 512 555 0100"},
        )
        properties = []
        for fields in DEMO_PROPERTIES:
            property_, _ = Property.objects.update_or_create(company=company, name=fields["name"], defaults=fields)
            properties.append(property_)

        for email, password, role, first_name, last_name in DEMO_LOGINS:
            user = User.objects.filter(email=email).first() or User(email=email)
            user.first_name, user.last_name, user.is_active, user.is_staff = first_name, last_name, True, True
            user.is_superuser = role is None
            user.set_password(password)
            user.save()
            if role is None:
                continue
            manager, _ = PropertyManager.objects.update_or_create(
                user=user, defaults={"company": company, "role": role, "access_level": AccessLevel.WRITE}
            )
            if role == StaffRole.PROPERTY_MANAGER:
                PropertyManagerAssignment.objects.get_or_create(
                    property_manager=manager, property=properties[0], defaults={"is_primary": True}
                )

        self.stdout.write(self.style.SUCCESS(f"Demo company: {company.name}"))
        for property_ in properties:
            self.stdout.write(f"  property {property_.name}: widget key {property_.widget_key}")
        self.stdout.write("Logins (email / password):")
        for email, password, role, *_ in DEMO_LOGINS:
            self.stdout.write(f"  {role or 'platform_staff':17} {email} / {password}")
