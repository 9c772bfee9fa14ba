"""Pull 5,000 prospects from the ResMan simulator in one sync: time and peak memory.

    python benchmarks/resman_pull.py [--prospects 5000] [--database-url URL]

The simulator runs in its own process with 5,000 prospects modified over the last 12 hours; one
lead poll of a property that has never been polled reads them (SearchProspects over one 24-hour
window: a single reply of several MB, parsed as it streams) and creates the prospects, their
conversations, guest-card links and events in PostgreSQL. It prints the time, the peak of Python
allocations during the sync (tracemalloc) and the process's peak resident memory (aim: under 30 s
and under 200 MB).
"""

import argparse
import resource
import time
import tracemalloc

from resman_common import (
    BENCH_PROPERTY,
    bench_env,
    bench_property,
    fresh_database,
    setup_django,
    simulator,
    start_simulator,
)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--prospects", type=int, default=5000)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/leasing_resman_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/6")
    args = parser.parse_args()

    env = bench_env(args.database_url, args.redis_url, RESMAN_BACKFILL_DAYS=1, RESMAN_POLL_WINDOW_HOURS=24)
    fresh_database(args.database_url)
    setup_django(env)
    sim = start_simulator(env, "--max-window-results", "0")
    try:
        simulator(
            "POST", "/_simulator/seed", {"property_id": BENCH_PROPERTY, "prospects": args.prospects, "span_hours": 12}
        )
        lines = run(args)
    finally:
        sim.terminate()
        sim.wait(timeout=30)
    for line in lines:
        print(line)


def run(args) -> list[str]:
    from conversations.models import Conversation, Prospect
    from resman.models import LeadLink, ResManEvent
    from resman.services.leads import property_poll

    property_ = bench_property(name="Pull Bench")
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    started = time.perf_counter()
    result = property_poll(property_id=property_.pk)
    elapsed = time.perf_counter() - started
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    # The same sync without tracemalloc's own overhead (it slows allocation-heavy code several
    # times over): a second company's property with the same ResMan id, for the time alone.
    second = bench_property(name="Pull Bench Again")
    started = time.perf_counter()
    again = property_poll(property_id=second.pk)
    untraced = time.perf_counter() - started

    return [
        f"ResMan pull: {args.prospects} prospects in one SearchProspects window, PostgreSQL",
        f"poll result: {result}",
        f"time: {untraced:.1f} s (aim < 30 s; {again.get('created', 0)} created); "
        f"{elapsed:.1f} s for the same sync under tracemalloc",
        f"peak Python allocations during the sync: {traced_peak / 1024 / 1024:.1f} MB; process peak RSS "
        f"{rss_after:.0f} MB (before the sync {rss_before:.0f} MB; aim < 200 MB)",
        f"stored: {Prospect.objects.count()} prospects, {Conversation.objects.count()} conversations, "
        f"{LeadLink.objects.count()} guest-card links, {ResManEvent.objects.count()} events",
    ]


if __name__ == "__main__":
    main()
