from celery import shared_task
from django.core.mail import send_mail


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5, soft_time_limit=30, time_limit=45)
def send_password_link(user_id: str, purpose: str) -> None:
    from accounts.models import User
    from accounts.services import password_link_build

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return
    link = password_link_build(user=user, purpose=purpose)
    if purpose == "invite":
        subject = "Set up your leasing assistant account"
        body = (
            f"Hello {user.get_short_name()},\n\nAn account was created for you. "
            f"Choose your password here:\n\n{link}\n\nThe link works once and expires."
        )
    else:
        subject = "Reset your password"
        body = (
            f"Hello {user.get_short_name()},\n\nSomeone asked to reset your password. If it was you, "
            f"choose a new one here:\n\n{link}\n\nThe link works once and expires. "
            "If it was not you, ignore this email."
        )
    send_mail(subject, body, None, [user.email])
