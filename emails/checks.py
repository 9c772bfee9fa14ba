"""The "sendgrid" connection test of POST /api/companies/:id/test-integration."""

from core.integrations import IntegrationCheck
from emails.clients import SendGridClient, SendGridError, SendGridRejected

REQUIRED_SCOPE = "mail.send"


def sendgrid_connection_check(company) -> IntegrationCheck:
    """Reads the key's scopes (GET /v3/scopes): authenticated, cheap, and sends nothing."""
    if not company.sendgrid_api_key:
        return IntegrationCheck(
            "sendgrid", configured=False, ok=False, message="No SendGrid API key: emails go through the mail server."
        )
    try:
        scopes = SendGridClient(company.sendgrid_api_key).scopes()
    except SendGridRejected as exc:
        return IntegrationCheck("sendgrid", configured=True, ok=False, message=f"Rejected: {exc.message}")
    except SendGridError as exc:
        return IntegrationCheck("sendgrid", configured=True, ok=False, message=f"Unreachable: {exc.message}")
    if REQUIRED_SCOPE not in scopes:
        return IntegrationCheck(
            "sendgrid", configured=True, ok=False, message=f"The key works but lacks the '{REQUIRED_SCOPE}' scope."
        )
    return IntegrationCheck("sendgrid", configured=True, ok=True, message=f"Key accepted; {len(scopes)} scopes.")
