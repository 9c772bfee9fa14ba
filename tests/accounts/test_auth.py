"""Every auth flow: login, logout (blacklisting), refresh rotation, verify, forgot/reset password."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from tests.conftest import client_for
from tests.factories import DEFAULT_PASSWORD, UserFactory


def login(client, email, password=DEFAULT_PASSWORD):
    return client.post("/api/auth/login", {"email": email, "password": password}, format="json")


def bearer(access):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


@pytest.fixture
def admin(tenants):
    return tenants.admin_a.user


def test_login_returns_tokens_and_the_user_with_role(api_client, admin, tenants):
    response = login(api_client, admin.email.upper())
    data = response.json()["data"]
    assert response.status_code == 200
    assert data["access"] and data["refresh"]
    assert data["user"]["email"] == admin.email
    assert data["user"]["role"] == "company_admin"
    assert data["user"]["company_id"] == str(tenants.company_a.pk)
    assert bearer(data["access"]).get("/api/properties").status_code == 200


def test_login_with_wrong_password_is_unauthorized(api_client, admin):
    response = login(api_client, admin.email, "wrong password")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"


def test_login_of_unknown_email_answers_like_a_wrong_password(api_client, db):
    response = login(api_client, "nobody@nowhere.test")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Invalid email or password."


def test_login_of_a_disabled_account_is_unauthorized(api_client, admin):
    admin.is_active = False
    admin.save()
    assert login(api_client, admin.email).status_code == 401


def test_login_without_password_names_the_missing_field(api_client, db):
    response = api_client.post("/api/auth/login", {"email": "a@b.test"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "MISSING_REQUIRED_FIELD"
    assert "password" in response.json()["error"]["details"]


def test_login_is_throttled_after_five_attempts(api_client, admin):
    for _ in range(5):
        login(api_client, admin.email, "wrong")
    response = login(api_client, admin.email)
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"


def test_verify_returns_the_user_for_a_valid_token(api_client, admin):
    access = login(api_client, admin.email).json()["data"]["access"]
    response = bearer(access).get("/api/auth/verify")
    assert response.status_code == 200
    assert response.json()["data"]["valid"] is True
    assert response.json()["data"]["user"]["id"] == str(admin.pk)


def test_verify_tells_an_expired_token(admin):
    token = AccessToken.for_user(admin)
    token.set_exp(lifetime=-timedelta(seconds=5))
    response = bearer(token).get("/api/auth/verify")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "TOKEN_EXPIRED"


def test_verify_refuses_a_token_signed_with_another_key(admin):
    token = str(AccessToken.for_user(admin))
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[::-1]}"
    assert bearer(forged).get("/api/auth/verify").json()["error"]["code"] == "INVALID_TOKEN"


def test_refresh_rotates_and_the_old_refresh_token_is_dead(api_client, admin):
    pair = login(api_client, admin.email).json()["data"]
    rotated = api_client.post("/api/auth/refresh", {"refresh": pair["refresh"]}, format="json")
    assert rotated.status_code == 200
    new = rotated.json()["data"]
    assert new["refresh"] != pair["refresh"]
    assert bearer(new["access"]).get("/api/auth/verify").status_code == 200
    replay = api_client.post("/api/auth/refresh", {"refresh": pair["refresh"]}, format="json")
    assert replay.status_code == 401
    assert replay.json()["error"]["code"] == "INVALID_TOKEN"


def test_refresh_with_an_expired_refresh_token_is_token_expired(api_client, admin):
    token = RefreshToken.for_user(admin)
    token.set_exp(lifetime=-timedelta(seconds=5))
    response = api_client.post("/api/auth/refresh", {"refresh": str(token)}, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "TOKEN_EXPIRED"


def test_refresh_refuses_an_access_token(api_client, admin):
    access = login(api_client, admin.email).json()["data"]["access"]
    response = api_client.post("/api/auth/refresh", {"refresh": access}, format="json")
    assert response.json()["error"]["code"] == "INVALID_TOKEN"


def test_refresh_of_a_deleted_user_is_invalid(api_client, admin):
    refresh = login(api_client, admin.email).json()["data"]["refresh"]
    admin.delete()
    response = api_client.post("/api/auth/refresh", {"refresh": refresh}, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_TOKEN"


def test_logout_blacklists_the_refresh_token_and_revokes_the_access_token(api_client, admin):
    pair = login(api_client, admin.email).json()["data"]
    client = bearer(pair["access"])
    assert client.post("/api/auth/logout", {"refresh": pair["refresh"]}, format="json").status_code == 200
    assert api_client.post("/api/auth/refresh", {"refresh": pair["refresh"]}, format="json").status_code == 401
    after = client.get("/api/properties")
    assert after.status_code == 401
    assert after.json()["error"]["code"] == "INVALID_TOKEN"


def test_logout_keeps_other_sessions_alive(api_client, admin):
    first = login(api_client, admin.email).json()["data"]
    second = login(APIClient(), admin.email).json()["data"]
    bearer(first["access"]).post("/api/auth/logout", {"refresh": first["refresh"]}, format="json")
    assert bearer(second["access"]).get("/api/auth/verify").status_code == 200


def test_logout_with_someone_elses_refresh_token_is_refused(api_client, admin, tenants):
    mine = login(api_client, admin.email).json()["data"]
    theirs = RefreshToken.for_user(tenants.admin_b.user)
    response = bearer(mine["access"]).post("/api/auth/logout", {"refresh": str(theirs)}, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_TOKEN"


def test_logout_twice_is_refused_the_second_time(api_client, admin):
    refresh = login(api_client, admin.email).json()["data"]["refresh"]
    assert api_client.post("/api/auth/logout", {"refresh": refresh}, format="json").status_code == 200
    assert api_client.post("/api/auth/logout", {"refresh": refresh}, format="json").status_code == 401


@pytest.fixture
def forgot(api_client, django_capture_on_commit_callbacks):
    def ask(email):
        with django_capture_on_commit_callbacks(execute=True):
            return api_client.post("/api/auth/forgot-password", {"email": email}, format="json")

    return ask


def reset_link(mail):
    match = re.search(r"https?://\S+", mail.body)
    query = parse_qs(urlsplit(match.group(0)).query)
    return query["uid"][0], query["token"][0]


def test_forgot_password_answers_the_same_for_known_and_unknown_emails(forgot, admin, mailoutbox):
    known = forgot(admin.email)
    unknown = forgot("ghost@nowhere.test")
    assert known.status_code == unknown.status_code == 200
    assert known.json()["data"] == unknown.json()["data"]
    assert [mail.to for mail in mailoutbox] == [[admin.email]]
    assert "/reset-password?uid=" in mailoutbox[0].body


def test_forgot_password_sends_nothing_to_a_disabled_account(forgot, admin, mailoutbox):
    admin.is_active = False
    admin.save()
    forgot(admin.email)
    assert mailoutbox == []


def test_reset_password_sets_the_password_once(api_client, forgot, admin, mailoutbox):
    forgot(admin.email)
    uid, token = reset_link(mailoutbox[0])
    new_password = "a much better passphrase 42"
    body = {"uid": uid, "token": token, "password": new_password}
    assert api_client.post("/api/auth/reset-password", body, format="json").status_code == 200
    assert login(APIClient(), admin.email, new_password).status_code == 200
    reuse = api_client.post("/api/auth/reset-password", {**body, "password": "yet another passphrase 7"}, format="json")
    assert reuse.status_code == 400
    assert reuse.json()["error"]["code"] == "INVALID_TOKEN"


def test_reset_password_ends_existing_sessions(api_client, forgot, admin, mailoutbox):
    pair = login(APIClient(), admin.email).json()["data"]
    forgot(admin.email)
    uid, token = reset_link(mailoutbox[0])
    api_client.post(
        "/api/auth/reset-password", {"uid": uid, "token": token, "password": "brand new passphrase 9"}, format="json"
    )
    admin.refresh_from_db()
    admin.tokens_valid_after = admin.tokens_valid_after + timedelta(seconds=2)  # cross the 1 s iat granularity
    admin.save(update_fields=["tokens_valid_after"])
    assert bearer(pair["access"]).get("/api/auth/verify").status_code == 401
    assert api_client.post("/api/auth/refresh", {"refresh": pair["refresh"]}, format="json").status_code == 401


def test_reset_link_expires(api_client, forgot, admin, mailoutbox, settings):
    forgot(admin.email)
    uid, token = reset_link(mailoutbox[0])
    settings.PASSWORD_RESET_TIMEOUT = -1
    response = api_client.post(
        "/api/auth/reset-password", {"uid": uid, "token": token, "password": "brand new passphrase 9"}, format="json"
    )
    assert response.json()["error"]["code"] == "INVALID_TOKEN"


def test_reset_password_rejects_a_weak_password(api_client, forgot, admin, mailoutbox):
    forgot(admin.email)
    uid, token = reset_link(mailoutbox[0])
    response = api_client.post(
        "/api/auth/reset-password", {"uid": uid, "token": token, "password": "1234"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert "password" in response.json()["error"]["details"]


@pytest.mark.parametrize("uid", ["garbage", "", "Zm9v"])
def test_reset_password_with_a_bad_uid_is_invalid_token(api_client, db, uid):
    response = api_client.post(
        "/api/auth/reset-password",
        {"uid": uid or "x", "token": "abc", "password": "brand new passphrase 9"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "INVALID_TOKEN"


def test_new_manager_gets_a_set_password_link_and_no_password(tenants, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(tenants.admin_a.user).post(
            "/api/property-managers",
            {"first_name": "Nia", "last_name": "New", "email": "nia@alpha.test", "access_level": "write"},
            format="json",
        )
    assert response.status_code == 201
    assert response.json()["data"]["has_password"] is False
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert "/set-password?uid=" in mail.body
    uid, token = reset_link(mail)
    client = APIClient()
    assert login(client, "nia@alpha.test", "").status_code in (400, 401)
    client.post(
        "/api/auth/reset-password", {"uid": uid, "token": token, "password": "nia's own passphrase 1"}, format="json"
    )
    assert login(client, "nia@alpha.test", "nia's own passphrase 1").status_code == 200


def test_a_user_factory_password_logs_in(api_client, db):
    user = UserFactory()
    assert login(api_client, user.email).status_code == 200
