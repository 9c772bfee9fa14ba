"""WebSocket authentication, in a middleware so that consumers only decide permissions.

Browsers cannot set headers on a WebSocket, so credentials come in the query string:
`?token=<conversation token>` for the widget, `?access_token=<JWT>` for staff (an
`Authorization: Bearer` header works too, for other clients).
"""

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.contrib.auth.models import AnonymousUser
from rest_framework.exceptions import AuthenticationFailed

from accounts.authentication import JWTAuthentication


def _staff_user(raw_token: str):
    authentication = JWTAuthentication()
    try:
        return authentication.get_user(authentication.get_validated_token(raw_token)), None
    except AuthenticationFailed as exc:
        codes = exc.get_codes()
        return AnonymousUser(), "TOKEN_EXPIRED" if codes == "token_expired" else "INVALID_TOKEN"


class WebSocketAuthMiddleware(BaseMiddleware):
    async def __call__(self, scope, receive, send):
        query = parse_qs(scope.get("query_string", b"").decode())
        headers = dict(scope.get("headers") or [])
        scope = dict(scope, user=AnonymousUser(), auth_error=None, query=query)
        scope["widget_token"] = (query.get("token") or [None])[-1]
        bearer = headers.get(b"authorization", b"").decode()
        jwt = (query.get("access_token") or [None])[-1] or (
            bearer[7:] if bearer.lower().startswith("bearer ") else None
        )
        if jwt:
            scope["user"], scope["auth_error"] = await database_sync_to_async(_staff_user)(jwt)
        return await super().__call__(scope, receive, send)
