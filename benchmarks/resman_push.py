"""Push 1,000 leads to the ResMan simulator while it fails 30% of requests.

    python benchmarks/resman_push.py [--leads 1000] [--failure-rate 0.25] [--timeout-rate 0.05]
                                     [--workers 4] [--database-url URL] [--redis-url URL]

Real parts end to end: a fresh PostgreSQL database, Redis as Celery's broker, a Celery worker
(prefork, queue "resman") and the simulator in their own processes. The simulator answers 500 to
`--failure-rate` of requests and hangs `--timeout-rate` of them past the client's timeout (and still
applies those writes, late, as a slow server would). Each lead is a chat prospect with an email and
a phone; the push searches ResMan by both, then creates the guest card. Retries back off from
0.2 s (a write of unknown outcome waits 2 s, longer than the simulator's 1 s hang).

It prints the time until every push settled and checks, in the simulator's own records, that every
lead arrived exactly once and that no lead is left without ResMan's ids.
"""

import argparse
import subprocess
import sys
import time

from resman_common import ROOT, bench_env, bench_property, fresh_database, setup_django, simulator, start_simulator


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=1000)
    parser.add_argument("--failure-rate", type=float, default=0.25)
    parser.add_argument("--timeout-rate", type=float, default=0.05)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/leasing_resman_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/6")
    args = parser.parse_args()

    env = bench_env(
        args.database_url,
        args.redis_url,
        CELERY_TASK_ALWAYS_EAGER="false",
        RESMAN_TIMEOUT_SECONDS=0.5,
        RESMAN_RETRY_BASE_SECONDS=0.2,
        RESMAN_RETRY_MAX_SECONDS=2,
        RESMAN_UNKNOWN_OUTCOME_SECONDS=2,
        RESMAN_OUTBOX_MAX_ATTEMPTS=15,
    )
    fresh_database(args.database_url)
    setup_django(env)
    subprocess.run(
        [sys.executable, "-m", "celery", "-A", "config", "purge", "-f", "-Q", "resman,celery"],
        env=env,
        cwd=ROOT,
        capture_output=True,
    )
    sim = start_simulator(
        env,
        "--failure-rate",
        str(args.failure_rate),
        "--timeout-rate",
        str(args.timeout_rate),
        "--hang-seconds",
        "1.0",
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
            "resman,celery",
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
    try:
        report = run(args)
    finally:
        worker.terminate()
        sim.terminate()
        worker.wait(timeout=30)
        sim.wait(timeout=30)
    for line in report:
        print(line)


def run(args) -> list[str]:
    from conversations.models import Conversation, Prospect
    from resman.models import LeadLink, OutboxItem, OutboxStatus
    from resman.services import leads, outbox
    from resman.tasks import process_outbox_item

    simulator("POST", "/_simulator/seed", {"property_id": "0b5e6a1c-1111-4222-8333-b3ac4e5f6a7b", "prospects": 0})
    property_ = bench_property(name="Push Bench")
    prospects = Prospect.objects.bulk_create(
        Prospect(
            company=property_.company,
            first_name="Lead",
            last_name=f"Number{n}",
            email=f"lead{n}@bench.test",
            phone=f"+1737{n:07d}",
            lead_source="chat",
        )
        for n in range(args.leads)
    )
    Conversation.objects.bulk_create(Conversation(property=property_, prospect=p, source="chat") for p in prospects)
    time.sleep(2)  # let the worker come up before the clock starts

    started = time.perf_counter()
    for prospect in prospects:
        leads.lead_push(property=property_, prospect=prospect)
    settled_at, last_sweep = None, 0.0
    while settled_at is None and time.perf_counter() - started < 900:
        time.sleep(0.5)
        if time.perf_counter() - last_sweep > 5:  # what beat's resman-dispatch-due-outbox does
            for item_id in outbox.outbox_due_ids():
                process_outbox_item.delay(str(item_id))
            last_sweep = time.perf_counter()
        if not OutboxItem.objects.filter(status__in=[OutboxStatus.PENDING, OutboxStatus.PROCESSING]).exists():
            settled_at = time.perf_counter()
    elapsed = (settled_at or time.perf_counter()) - started

    statuses = {s: OutboxItem.objects.filter(status=s).count() for s in OutboxStatus.values}
    attempts = sorted(OutboxItem.objects.values_list("attempts", flat=True))
    remote = simulator("GET", "/_simulator/prospects")
    by_email = {}
    for row in remote:
        by_email.setdefault(row["email"], []).append(row["prospect_id"])
    ours = {p.email for p in prospects}
    exactly_once = sum(1 for email in ours if len(by_email.get(email, [])) == 1)
    links = {link.prospect_id: link.resman_prospect_id for link in LeadLink.objects.filter(property=property_)}
    unlinked = sum(1 for p in prospects if not links.get(p.pk))
    mismatched = sum(1 for p in prospects if links.get(p.pk) and by_email.get(p.email, [None])[0] != links[p.pk])
    state = simulator("GET", "/_simulator/state")
    return [
        f"ResMan push: {args.leads} leads, simulator failing {args.failure_rate:.0%} (500) + "
        f"{args.timeout_rate:.0%} (hang 1 s > 0.5 s client timeout); Celery prefork x{args.workers}, Redis, PostgreSQL",
        f"settled in {elapsed:.1f} s ({'all settled' if settled_at else 'NOT all settled'}); outbox: {statuses}",
        f"attempts per push: median {attempts[len(attempts) // 2]}, max {attempts[-1]}; "
        f"simulator served {state['requests']} requests, {state['creates']} creates",
        f"in ResMan: {len(remote)} guest cards; {exactly_once}/{len(ours)} leads exactly once; "
        f"{sum(1 for e in ours if len(by_email.get(e, [])) > 1)} duplicated; {len(ours - set(by_email))} missing",
        f"here: {unlinked} leads without ResMan ids, {mismatched} linked to the wrong guest card",
    ]


if __name__ == "__main__":
    main()
