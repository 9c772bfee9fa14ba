"""Send a campaign to 2,000 leads through the fake SendGrid while it fails a quarter of the requests.

    python benchmarks/emails_campaign.py [--leads 2000] [--failure-rate 0.25] [--rate-limit-every 200]
                                         [--workers 4] [--database-url URL] [--redis-url URL]

Real parts end to end: a fresh PostgreSQL database, Redis as Celery's broker, a Celery worker
(prefork, queues "emails" and "celery") in its own processes, and the fake SendGrid (v3 wire format)
on loopback in this process. SendGrid answers 500 to `--failure-rate` of requests and 429 to one in
`--rate-limit-every`. Retries back off from 0.2 s (a 429 waits for the reset it announces, about
2 s). What beat does (the due-email sweep) runs here every 2 s.

It prints how long creating the copies took, the time until every email settled, and checks in the
fake's own records that every lead got the campaign exactly once.
"""

import argparse
import subprocess
import sys
import threading
import time
from collections import Counter

from resman_common import ROOT, bench_env, fresh_database, setup_django


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=2000)
    parser.add_argument("--failure-rate", type=float, default=0.25)
    parser.add_argument("--rate-limit-every", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/leasing_emails_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/7")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from tests.emails.fakes import API_KEY, FakeSendGrid

    fake = FakeSendGrid().start()
    fake.failure_rate = args.failure_rate
    env = bench_env(
        args.database_url,
        args.redis_url,
        CELERY_TASK_ALWAYS_EAGER="false",
        SENDGRID_API_URL=fake.url,
        SENDGRID_TIMEOUT_SECONDS=5,
        EMAIL_RETRY_BASE_SECONDS=0.2,
        EMAIL_RETRY_MAX_SECONDS=3,
        EMAIL_SEND_MAX_ATTEMPTS=12,
    )
    fresh_database(args.database_url)
    setup_django(env)
    subprocess.run(
        [sys.executable, "-m", "celery", "-A", "config", "purge", "-f", "-Q", "emails,celery"],
        env=env,
        cwd=ROOT,
        capture_output=True,
    )
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            "emails,celery",
            "-c",
            str(args.workers),
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
        env=env,
        cwd=ROOT,
    )
    stop = threading.Event()
    threading.Thread(target=_rate_limit_now_and_then, args=(fake, args.rate_limit_every, stop), daemon=True).start()
    try:
        for line in run(args, api_key=API_KEY, fake=fake):
            print(line, flush=True)
    finally:
        stop.set()
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()  # retries waiting for their time keep a warm shutdown waiting
            worker.wait()
        fake.stop()


def _rate_limit_now_and_then(fake, every: int, stop: threading.Event) -> None:
    seen = 0
    while not stop.wait(0.05):
        if len(fake.requests) - seen >= every:
            seen = len(fake.requests)
            fake.reject_next(429)


def run(args, *, api_key: str, fake) -> list[str]:
    from companies.models import Company
    from conversations.models import Conversation, Prospect
    from emails import services, tasks
    from emails.models import EmailCampaign, EmailDelivery, EmailDraft, EmailStatus
    from properties.models import Property

    company = Company.objects.create(name="Campaign Bench", sendgrid_api_key=api_key)
    property_ = Property.objects.create(
        company=company, name="Bench Apartments", address="1 Bench Way", city="Austin", state="TX", zip_code="78701"
    )
    prospects = Prospect.objects.bulk_create(
        Prospect(company=company, first_name=f"Lead{n}", email=f"lead{n}@bench.test") for n in range(args.leads)
    )
    Conversation.objects.bulk_create(Conversation(property=property_, prospect=p) for p in prospects)
    campaign = EmailCampaign.objects.create(
        property=property_, title="Spring special", template_content="Hi {{ first_name }}, {{ property_name }} news."
    )
    time.sleep(2)  # let the worker come up before the clock starts

    started = time.perf_counter()
    result = services.email_campaign_send(campaign=campaign, filters={})
    created_in = time.perf_counter() - started
    settled_at, last_sweep = None, 0.0
    while settled_at is None and time.perf_counter() - started < 900:
        time.sleep(0.5)
        if time.perf_counter() - last_sweep > 2:
            tasks.dispatch_due_emails.delay()
            last_sweep = time.perf_counter()
        if not EmailDraft.objects.filter(status=EmailStatus.SCHEDULED).exists():
            settled_at = time.perf_counter()
    elapsed = (settled_at or time.perf_counter()) - started

    statuses = Counter(EmailDraft.objects.values_list("status", flat=True))
    attempts = sorted(Counter(EmailDelivery.objects.values_list("draft_id", flat=True)).values())
    received = Counter(m["personalizations"][0]["to"][0]["email"] for m in fake.accepted)
    addresses = {p.email for p in prospects}
    once = sum(1 for address in addresses if received[address] == 1)
    ids_match = set(EmailDelivery.objects.exclude(provider_message_id="").values_list("provider_message_id", flat=True))
    return [
        f"Campaign: {args.leads} leads, fake SendGrid failing {args.failure_rate:.0%} (500) and 1 in "
        f"{args.rate_limit_every} (429); Celery prefork x{args.workers}, Redis, PostgreSQL",
        f"copies created in {created_in:.2f} s ({result['created']} emails, one transaction)",
        f"settled in {elapsed:.1f} s ({'all settled' if settled_at else 'NOT all settled'}); emails: {dict(statuses)}",
        f"attempts per email: median {attempts[len(attempts) // 2]}, max {attempts[-1]}; "
        f"SendGrid saw {len(fake.sends)} sends, accepted {len(fake.accepted)}",
        f"at SendGrid: {once}/{len(addresses)} leads exactly once; "
        f"{sum(1 for a in addresses if received[a] > 1)} twice or more; "
        f"{sum(1 for a in addresses if not received[a])} never",
        f"message ids recorded: {len(ids_match & {m['_message_id'] for m in fake.accepted})}/{len(fake.accepted)} "
        f"match SendGrid's",
    ]


if __name__ == "__main__":
    main()
