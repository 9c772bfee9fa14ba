"""Hands one message to the company's provider: SendGrid when the company has a key, else Django's
email backend. Every failure becomes one of three outcomes the caller acts on: try again later,
give up, or stop because the message may already be out."""

import smtplib
from email.utils import formataddr, make_msgid
from functools import lru_cache

from django.conf import settings
from django.core.mail import BadHeaderError, EmailMultiAlternatives

from emails.clients import (
    Mail,
    SendGridClient,
    SendGridOutcomeUnknown,
    SendGridRateLimited,
    SendGridRejected,
    SendGridUnavailable,
)
from emails.models import Provider


class SendFailed(Exception):
    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class TransientFailure(SendFailed):
    """Nothing was sent; the same message may succeed later."""


class PermanentFailure(SendFailed):
    """The provider refused the message; sending it again as it is will not help."""


class UnknownOutcome(SendFailed):
    """The message may have been accepted; sending it again could deliver it twice."""


def provider_for(company) -> str:
    return Provider.SENDGRID if company.sendgrid_api_key else Provider.DJANGO


def transmit(*, company, mail: Mail) -> str | None:
    """Sends `mail`; returns the provider's message id."""
    if provider_for(company) == Provider.SENDGRID:
        return _through_sendgrid(company.sendgrid_api_key, mail)
    return _through_django(mail)


@lru_cache(maxsize=64)
def _sendgrid(api_key: str, base_url: str, timeout: float) -> SendGridClient:
    """One client per key in each process: its session keeps the TLS connection to SendGrid open
    between emails instead of a new handshake for each."""
    return SendGridClient(api_key, base_url=base_url, timeout=timeout)


def _through_sendgrid(api_key: str, mail: Mail) -> str | None:
    client = _sendgrid(api_key, settings.SENDGRID_API_URL, settings.SENDGRID_TIMEOUT_SECONDS)
    try:
        return client.send(mail)
    except SendGridRateLimited as exc:
        raise TransientFailure(exc.message, retry_after=exc.retry_after) from exc
    except SendGridUnavailable as exc:
        raise TransientFailure(exc.message) from exc
    except SendGridRejected as exc:
        raise PermanentFailure(exc.message) from exc
    except SendGridOutcomeUnknown as exc:
        raise UnknownOutcome(exc.message) from exc


def _through_django(mail: Mail) -> str:
    # Our own Message-ID, so the row records what the recipient's server will see.
    message_id = make_msgid(domain=mail.sender.email.rpartition("@")[2] or "localhost")
    message = EmailMultiAlternatives(
        subject=mail.subject,
        body=mail.text,
        from_email=formataddr((mail.sender.name, mail.sender.email)),
        to=[formataddr((mail.to.name, mail.to.email))],
        reply_to=[formataddr((mail.reply_to.name, mail.reply_to.email))] if mail.reply_to else None,
        headers={**mail.headers, "Message-ID": message_id},
    )
    if mail.html:
        message.attach_alternative(mail.html, "text/html")
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as exc:
        [(code, reason)] = exc.recipients.values()
        text = f"The mail server refused the recipient with {code}: {_decoded(reason)}"
        # 4xx at RCPT is "not now" (greylisting, a full mailbox), 5xx "never".
        raise (PermanentFailure if code >= 500 else TransientFailure)(text) from exc
    except smtplib.SMTPResponseException as exc:
        text = f"The mail server answered {exc.smtp_code}: {_smtp_reason(exc)}"
        if exc.smtp_code >= 500:
            raise PermanentFailure(text) from exc
        raise TransientFailure(text) from exc
    except BadHeaderError as exc:
        raise PermanentFailure(f"The message has an invalid header: {exc}") from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise TransientFailure(f"The mail server could not be reached: {type(exc).__name__}: {exc}") from exc
    return message_id


def _smtp_reason(exc: smtplib.SMTPResponseException) -> str:
    return _decoded(exc.smtp_error) or str(exc)


def _decoded(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)
