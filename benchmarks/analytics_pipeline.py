"""Analytics end to end on PostgreSQL and Redis: recomputing records, reading aggregates, taking widget
events, and forwarding to a (fake) Amplitude that fails and times out.

    python benchmarks/analytics_pipeline.py [--conversations 2000] [--messages 12] [--records 20000]
                                            [--events 10000] [--failure-rate 0.3] [--timeout-rate 0.05]
                                            [--forwarders 4] [--database-url URL] [--redis-url URL]

1. Recompute: `--conversations` conversations of one property, each with `--messages` messages (half
   the prospect's, half the bot's) and three widget events, recomputed by `property_recalculate`.
2. Aggregates: `--records` stored records over 20 properties; the summary, engagement-score and
   qualification-rate routes through the Django test client as a company admin, computed (cache
   made stale before each call) and then from the cache.
3. Ingest: 500 widget POSTs of 5 events each to /api/amplitude-data (test client, in process).
4. Forwarding: `--events` pending events sent by `--forwarders` threads (each claiming batches, as
   workers do) to the fake Amplitude, which answers 500 to `--failure-rate` of requests and holds
   `--timeout-rate` past the client's timeout (storing those events anyway, late). Retries are due at
   once. It checks that Amplitude holds every event exactly once.

Every figure printed is what this run measured on this machine.
"""

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def fresh_database(database_url: str) -> None:
    name = database_url.rsplit("/", 1)[-1]
    for sql in (f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", sql], check=True, capture_output=True)


def setup(database_url: str, redis_url: str, **extra) -> None:
    os.environ.update(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "CELERY_TASK_ALWAYS_EAGER": "true",
            "LOG_LEVEL": "ERROR",
            "ACCESS_LOG_LEVEL": "ERROR",
            "RATE_LIMIT_ANALYTICS": "100000/1m",
            "RATE_LIMIT_API": "100000/1m",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            **{key: str(value) for key, value in extra.items()},
        }
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    cache.clear()


def company_and_properties(count: int):
    from companies.models import Company
    from properties.models import Property, StaffRole
    from tests.factories import PropertyManagerFactory

    company = Company.objects.create(name="Bench Living")
    properties = Property.objects.bulk_create(
        Property(
            company=company,
            name=f"Bench {n:02d}",
            address="1 Bench Way",
            city="Austin",
            state="TX",
            zip_code="78701",
            website_url=f"https://bench{n}.test",
        )
        for n in range(count)
    )
    admin = PropertyManagerFactory(company=company, role=StaffRole.COMPANY_ADMIN)
    return company, properties, admin


def seed_conversations(property_, *, count: int, messages: int) -> list:
    from django.utils import timezone

    from analytics.models import AnalyticsEvent, EventSource
    from conversations.models import Conversation, Message, Prospect

    now = timezone.now()
    prospects = Prospect.objects.bulk_create(
        Prospect(company_id=property_.company_id, browser_id=f"bench-{n:08d}", email=f"p{n}@x.test" if n % 3 else "")
        for n in range(count)
    )
    conversations = Conversation.objects.bulk_create(
        Conversation(property=property_, prospect=prospect, message_count=messages, is_qualified=n % 4 == 0)
        for n, prospect in enumerate(prospects)
    )
    rows = []
    for conversation in conversations:
        for seq in range(1, messages + 1):
            rows.append(
                Message(
                    conversation=conversation,
                    sender="prospect" if seq % 2 else "bot",
                    text="Do you have a 2 bedroom?" if seq % 2 else "Yes, we do.",
                    metadata={} if seq % 2 else {"intents": ["bedrooms", "tour_request"] if seq == 4 else []},
                    seq=seq,
                )
            )
    Message.objects.bulk_create(rows, batch_size=5000)
    AnalyticsEvent.objects.bulk_create(
        (
            AnalyticsEvent(
                conversation=conversation,
                property=property_,
                company_id=property_.company_id,
                event_id=f"w{n}",
                event_type=kind,
                source=EventSource.WIDGET,
                occurred_at=now - timedelta(minutes=5),
            )
            for conversation in conversations
            for n, kind in enumerate(["chat_session_started", "answer_button_clicked", "widget_minimized"])
        ),
        batch_size=5000,
    )
    return conversations


def bench_recompute(args) -> None:
    from analytics import services
    from analytics.models import ConversationAnalytics

    _, properties, _ = company_and_properties(1)
    seed_conversations(properties[0], count=args.conversations, messages=args.messages)
    started = time.perf_counter()
    count = services.property_recalculate(property_id=properties[0].pk)
    elapsed = time.perf_counter() - started
    assert ConversationAnalytics.objects.filter(property=properties[0]).count() == count
    started = time.perf_counter()
    services.property_recalculate(property_id=properties[0].pk)
    again = time.perf_counter() - started
    print(
        f"recompute: {count} conversations x {args.messages} messages in {elapsed:.2f} s "
        f"({count / elapsed:.0f} records/s); again, unchanged: {again:.2f} s ({count / again:.0f} records/s)"
    )


def timed(call, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def bench_aggregates(args) -> None:
    from django.utils import timezone

    from analytics.cache import versions_bump
    from analytics.models import ConversationAnalytics
    from conversations.models import Conversation
    from tests.conftest import client_for

    company, properties, admin = company_and_properties(20)
    now = timezone.now()
    per = args.records // len(properties)
    for property_ in properties:
        conversations = Conversation.objects.bulk_create(Conversation(property=property_) for _ in range(per))
        ConversationAnalytics.objects.bulk_create(
            (
                ConversationAnalytics(
                    conversation=conversation,
                    property=property_,
                    started_at=now - timedelta(days=n % 28, minutes=n),
                    computed_at=now,
                    chat_session_started=n % 5 != 0,
                    user_messages_sent=n % 9,
                    engagement_score=("low", "medium", "high")[n % 3] if n % 5 else "",
                    engagement_points=n % 17,
                    qualified=n % 4 == 0,
                    hot=n % 11 == 0,
                    tour_booked=n % 6 == 0,
                    contact_captured=n % 2 == 0,
                    session_duration=n % 600,
                )
                for n, conversation in enumerate(conversations)
            ),
            batch_size=5000,
        )
    client = client_for(admin.user)
    for route in ("summary", "engagement-scores?limit=20", "lead-qualification-rates?limit=20"):
        url = f"/api/amplitude-data/{route}"
        assert client.get(url).status_code == 200

        def computed(url=url):
            versions_bump(company_id=company.pk)
            client.get(url)

        cold = timed(computed, 20)
        warm = timed(lambda url=url: client.get(url), 50)
        print(
            f"GET {url} over {args.records} records: computed p50 {statistics.median(cold):.1f} ms "
            f"(max {max(cold):.1f}), cached p50 {statistics.median(warm):.1f} ms"
        )


def bench_ingest() -> None:
    from analytics.models import AnalyticsEvent
    from tests.conversations.conftest import WidgetClient

    _, properties, _ = company_and_properties(1)
    widget = WidgetClient("bench-ingest-0001")
    widget.session(properties[0])
    from rest_framework.test import APIClient

    client = APIClient()
    url = f"/api/amplitude-data?widget_key={properties[0].widget_key}"
    times = []
    for n in range(500):
        events = [{"event_id": f"i{n}-{k}", "event_type": "answer_button_clicked"} for k in range(5)]
        started = time.perf_counter()
        response = client.post(
            url,
            {"conversation_id": widget.conversation_id, "events": events},
            format="json",
            HTTP_X_CONVERSATION_TOKEN=widget.token,
        )
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 201, response.content
    assert AnalyticsEvent.objects.filter(conversation_id=widget.conversation_id).count() == 2500
    print(
        f"ingest: 500 widget POSTs of 5 events, in process: p50 {statistics.median(times):.1f} ms, "
        f"p95 {sorted(times)[474]:.1f} ms ({1000 / statistics.mean(times):.0f} requests/s on one thread)"
    )


def bench_forwarding(args) -> None:
    from django.db import connections
    from django.utils import timezone

    from analytics import forwarding
    from analytics.models import AnalyticsEvent, EventSource, ForwardStatus
    from conversations.models import Conversation
    from tests.analytics.fakes import VALID_KEY, FakeAmplitude

    company, properties, _ = company_and_properties(1)
    company.amplitude_api_key = VALID_KEY
    company.save()
    conversations = Conversation.objects.bulk_create(Conversation(property=properties[0]) for _ in range(100))
    now = timezone.now()
    AnalyticsEvent.objects.bulk_create(
        (
            AnalyticsEvent(
                conversation=conversations[n % 100],
                property=properties[0],
                company=company,
                event_id=f"f{n}",
                event_type="answer_button_clicked",
                source=EventSource.WIDGET,
                occurred_at=now,
                device_id=f"device-{n % 100:05d}",
                forward_status=ForwardStatus.PENDING,
            )
            for n in range(args.events)
        ),
        batch_size=5000,
    )
    fake = FakeAmplitude()
    fake.start()
    fake.failure_rate = args.failure_rate
    fake.hang_rate, fake.hang_seconds = args.timeout_rate, 0.6
    from django.conf import settings

    settings.AMPLITUDE_API_URL = fake.url
    settings.AMPLITUDE_TIMEOUT_SECONDS = 0.3
    settings.AMPLITUDE_RETRY_BASE_SECONDS = 0.0
    settings.AMPLITUDE_MAX_ATTEMPTS = 50

    def worker():
        try:
            while True:
                outcome = forwarding.company_events_forward(company_id=company.pk, max_batches=5)
                if not (outcome.sent or outcome.retrying or outcome.failed):
                    if not AnalyticsEvent.objects.filter(
                        forward_status__in=[ForwardStatus.PENDING, ForwardStatus.SENDING]
                    ).exists():
                        return
                    time.sleep(0.01)
        finally:
            connections.close_all()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(args.forwarders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    time.sleep(0.7)  # let the last held requests land
    fake.stop()
    sent = AnalyticsEvent.objects.filter(company=company, forward_status=ForwardStatus.SENT).count()
    failed = AnalyticsEvent.objects.filter(company=company, forward_status=ForwardStatus.FAILED).count()
    expected = {str(pk) for pk in AnalyticsEvent.objects.filter(company=company).values_list("pk", flat=True)}
    print(
        f"forwarding: {args.events} events, {args.forwarders} forwarders, batch {settings.AMPLITUDE_BATCH_SIZE}, "
        f"{args.failure_rate:.0%} of requests failing: settled in {elapsed:.2f} s "
        f"({args.events / elapsed:.0f} events/s); {len(fake.requests)} requests; sent {sent}, failed {failed}"
    )
    print(
        f"forwarding: Amplitude received {fake.received} events in accepted requests and holds "
        f"{len(fake.stored)} distinct insert_ids; every event exactly once: {set(fake.stored) == expected}"
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=12)
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--events", type=int, default=10000)
    parser.add_argument("--failure-rate", type=float, default=0.3)
    parser.add_argument("--timeout-rate", type=float, default=0.05)
    parser.add_argument("--forwarders", type=int, default=4)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/leasing_analytics_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/8")
    args = parser.parse_args()
    fresh_database(args.database_url)
    setup(args.database_url, args.redis_url)
    print(f"PostgreSQL {args.database_url}, Redis {args.redis_url}, {os.cpu_count()} CPUs")
    bench_recompute(args)
    bench_aggregates(args)
    bench_ingest()
    bench_forwarding(args)


if __name__ == "__main__":
    main()
