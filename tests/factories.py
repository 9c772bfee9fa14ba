import factory
from factory.django import DjangoModelFactory

from accounts.models import User
from companies.models import Company
from properties.models import AccessLevel, Property, PropertyManager, PropertyManagerAssignment, StaffRole

DEFAULT_PASSWORD = "correct horse battery staple"


class CompanyFactory(DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"Company {n}")
    contact_email = factory.Sequence(lambda n: f"office{n}@company.test")


class PropertyFactory(DjangoModelFactory):
    class Meta:
        model = Property

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Property {n}")
    address = factory.Sequence(lambda n: f"{n} Main Street")
    city = "Austin"
    state = "TX"
    zip_code = "78701"
    time_zone = "America/Chicago"
    website_url = factory.Sequence(lambda n: f"https://property{n}.test")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@staff.test")
    first_name = "Sam"
    last_name = factory.Sequence(lambda n: f"Staff{n}")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class PropertyManagerFactory(DjangoModelFactory):
    class Meta:
        model = PropertyManager

    company = factory.SubFactory(CompanyFactory)
    user = factory.SubFactory(UserFactory)
    role = StaffRole.PROPERTY_MANAGER
    access_level = AccessLevel.WRITE
    phone = "+1 512 555 0199"


class AssignmentFactory(DjangoModelFactory):
    class Meta:
        model = PropertyManagerAssignment

    property_manager = factory.SubFactory(PropertyManagerFactory)
    property = factory.SubFactory(PropertyFactory)


class ProspectFactory(DjangoModelFactory):
    class Meta:
        model = "conversations.Prospect"

    company = factory.SubFactory(CompanyFactory)
    first_name = "Jamie"
    last_name = factory.Sequence(lambda n: f"Prospect{n}")
    browser_id = factory.Sequence(lambda n: f"b-{n:010d}")


class ConversationFactory(DjangoModelFactory):
    class Meta:
        model = "conversations.Conversation"

    property = factory.SubFactory(PropertyFactory)
    prospect = factory.SubFactory(ProspectFactory, company=factory.SelfAttribute("..property.company"))
