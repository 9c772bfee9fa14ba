from accounts.models import User
from properties.models import PropertyManager, PropertyManagerAssignment
from tests.conftest import client_for


def test_manager_has_every_spec_field(tenants):
    data = client_for(tenants.admin_a.user).get(f"/api/property-managers/{tenants.manager_write.pk}").json()["data"]
    assert {
        "id",
        "company_id",
        "first_name",
        "last_name",
        "email",
        "phone",
        "role",
        "access_level",
        "assignments",
    } <= set(data)
    assert [a["property_id"] for a in data["assignments"]] == [str(tenants.a1.pk)]


def test_create_manager_with_initial_assignments(tenants):
    response = client_for(tenants.admin_a.user).post(
        "/api/property-managers",
        {
            "first_name": "Lee",
            "last_name": "Lessor",
            "email": "Lee@Alpha.test",
            "phone": "+1 512 555 0111",
            "access_level": "read",
            "property_ids": [str(tenants.a1.pk), str(tenants.a2.pk)],
        },
        format="json",
    )
    data = response.json()["data"]
    assert response.status_code == 201
    assert data["email"] == "lee@alpha.test"
    assert data["company_id"] == str(tenants.company_a.pk)
    assert {a["property_id"] for a in data["assignments"]} == {str(tenants.a1.pk), str(tenants.a2.pk)}
    user = User.objects.get(email="lee@alpha.test")
    assert not user.has_usable_password()


def test_create_manager_with_a_foreign_property_writes_nothing(tenants):
    response = client_for(tenants.admin_a.user).post(
        "/api/property-managers",
        {
            "first_name": "Lee",
            "last_name": "Lessor",
            "email": "lee@alpha.test",
            "access_level": "read",
            "property_ids": [str(tenants.a1.pk), str(tenants.b1.pk)],
        },
        format="json",
    )
    assert response.status_code == 400
    assert not User.objects.filter(email="lee@alpha.test").exists()


def test_company_admin_can_create_another_admin(tenants):
    response = client_for(tenants.admin_a.user).post(
        "/api/property-managers",
        {
            "first_name": "Ada",
            "last_name": "Min",
            "email": "ada@alpha.test",
            "access_level": "write",
            "role": "company_admin",
        },
        format="json",
    )
    assert response.status_code == 201
    ada = PropertyManager.objects.get(user__email="ada@alpha.test")
    assert ada.is_company_admin


def test_changing_email_to_a_taken_one_is_a_conflict(tenants):
    response = client_for(tenants.admin_a.user).patch(
        f"/api/property-managers/{tenants.manager_read.pk}", {"email": tenants.admin_b.user.email}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "DUPLICATE_RECORD"


def test_update_manager_names_and_access(tenants):
    response = client_for(tenants.admin_a.user).put(
        f"/api/property-managers/{tenants.manager_read.pk}",
        {
            "first_name": "Rita",
            "last_name": "Reader",
            "email": "rita@alpha.test",
            "phone": "",
            "role": "property_manager",
            "access_level": "write",
        },
        format="json",
    )
    assert response.status_code == 200
    tenants.manager_read.refresh_from_db()
    tenants.manager_read.user.refresh_from_db()
    assert tenants.manager_read.access_level == "write"
    assert tenants.manager_read.user.get_full_name() == "Rita Reader"
    assert (
        client_for(tenants.manager_read.user)
        .patch(f"/api/properties/{tenants.a1.pk}", {"name": "Now writable"}, format="json")
        .status_code
        == 200
    )


def test_put_requires_every_field(tenants):
    response = client_for(tenants.admin_a.user).put(
        f"/api/property-managers/{tenants.manager_read.pk}", {"phone": "1"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "MISSING_REQUIRED_FIELD"


def test_deleting_a_manager_removes_their_login(tenants):
    client = client_for(tenants.admin_a.user)
    user_id = tenants.manager_read.user_id
    assert client.delete(f"/api/property-managers/{tenants.manager_read.pk}").status_code == 200
    assert not User.objects.filter(pk=user_id).exists()
    assert client_for(tenants.manager_read.user).get("/api/properties").status_code == 401


def test_an_admin_cannot_delete_themselves(tenants):
    response = client_for(tenants.admin_a.user).delete(f"/api/property-managers/{tenants.admin_a.pk}")
    assert response.status_code == 400
    assert PropertyManager.objects.filter(pk=tenants.admin_a.pk).exists()


def test_assigning_twice_is_a_conflict(tenants):
    client = client_for(tenants.admin_a.user)
    body = {"property_manager_id": str(tenants.manager_write.pk)}
    response = client.post(f"/api/properties/{tenants.a1.pk}/managers", body, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "DUPLICATE_RECORD"


def test_one_primary_manager_per_property(tenants):
    client = client_for(tenants.admin_a.user)
    first = PropertyManagerAssignment.objects.get(property_manager=tenants.manager_write)
    second = PropertyManagerAssignment.objects.get(property_manager=tenants.manager_read)
    client.put(
        f"/api/property-managers/{tenants.manager_write.pk}/assignments/{first.pk}",
        {"access_level": "", "is_primary": True},
        format="json",
    )
    client.patch(
        f"/api/property-managers/{tenants.manager_read.pk}/assignments/{second.pk}", {"is_primary": True}, format="json"
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_primary, second.is_primary) == (False, True)
    listing = client.get(f"/api/properties/{tenants.a1.pk}/managers").json()["data"]
    assert listing[0]["property_manager_id"] == str(tenants.manager_read.pk)


def test_assignment_access_level_overrides_the_managers(tenants):
    assignment = PropertyManagerAssignment.objects.get(property_manager=tenants.manager_read)
    client_for(tenants.admin_a.user).patch(
        f"/api/property-managers/{tenants.manager_read.pk}/assignments/{assignment.pk}",
        {"access_level": "write"},
        format="json",
    )
    response = client_for(tenants.manager_read.user).patch(
        f"/api/properties/{tenants.a1.pk}/chatbot", {"chatbot_auto_open": True}, format="json"
    )
    assert response.status_code == 200


def test_removing_a_manager_from_a_property_ends_their_access(tenants):
    client_for(tenants.admin_a.user).delete(f"/api/properties/{tenants.a1.pk}/managers/{tenants.manager_write.pk}")
    assert client_for(tenants.manager_write.user).get(f"/api/properties/{tenants.a1.pk}").status_code == 404


def test_removing_an_unassigned_manager_is_not_found(tenants):
    response = client_for(tenants.admin_a.user).delete(
        f"/api/properties/{tenants.a2.pk}/managers/{tenants.manager_write.pk}"
    )
    assert response.status_code == 404


def _notify(manager, conversation, read=False):
    from django.utils import timezone

    from conversations.models import LeadNotification

    return LeadNotification.objects.create(
        conversation=conversation,
        property_manager=manager,
        notification_type="handoff_request",
        title="A prospect asked for a person",
        read_at=timezone.now() if read else None,
    )


def test_manager_representation_carries_their_unread_notifications(tenants):
    from tests.factories import ConversationFactory

    conversation = ConversationFactory(property=tenants.a1)
    unread = _notify(tenants.manager_write, conversation)
    _notify(tenants.manager_write, conversation, read=True)
    url = f"/api/property-managers/{tenants.manager_write.pk}"

    own = client_for(tenants.manager_write.user).get(url).json()["data"]["notifications"]
    assert [n["id"] for n in own] == [str(unread.pk)]
    assert own[0]["conversation_id"] == str(conversation.pk)
    by_admin = client_for(tenants.admin_a.user).get(url).json()["data"]["notifications"]
    assert [n["id"] for n in by_admin] == [str(unread.pk)]
    assert client_for(tenants.manager_read.user).get(url).json()["data"]["notifications"] is None
