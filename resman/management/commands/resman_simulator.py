"""Runs the ResMan simulator (resman/simulator.py) until interrupted.

    python manage.py resman_simulator --port 8765 --seed
    python manage.py resman_simulator --port 8765 --seed --failure-rate 0.3 --latency 0.2

With --seed it holds the demo properties (their marketing feed and 25 prospects each); point the
demo company at it with `python manage.py resman_demo_setup --simulator-url http://127.0.0.1:8765`.
"""

import signal
import threading

from django.core.management.base import BaseCommand

from resman.simulator import ACCOUNT_ID, API_KEY, DEMO_PROPERTY_IDS, PARTNER_ID, ResManSimulator


class Command(BaseCommand):
    help = "Runs the ResMan simulator: ResMan's v1 wire format, its own state, and misbehaviour on demand."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--seed", action="store_true", help="Seed the demo properties, units and prospects.")
        parser.add_argument("--prospects", type=int, default=0, help="Extra prospects per demo property.")
        parser.add_argument("--failure-rate", type=float, default=0.0, help="Share of requests answered 500.")
        parser.add_argument("--timeout-rate", type=float, default=0.0, help="Share of requests that hang.")
        parser.add_argument("--hang-seconds", type=float, default=3.0)
        parser.add_argument("--latency", type=float, default=0.0, help="Seconds added to every request.")
        parser.add_argument("--max-window-results", type=int, default=500, help="502 'buffer overflow' above this.")
        parser.add_argument("--bad-credentials", action="store_true")
        parser.add_argument("--reject-sources", action="store_true")
        parser.add_argument("--duration", type=float, default=None, help="Stop after this many seconds.")

    def handle(self, *args, **options):
        simulator = ResManSimulator()
        simulator.configure(
            failure_rate=options["failure_rate"],
            timeout_rate=options["timeout_rate"],
            hang_seconds=options["hang_seconds"],
            delay=options["latency"],
            max_window_results=options["max_window_results"],
            bad_credentials=options["bad_credentials"],
            reject_sources=options["reject_sources"],
        )
        if options["seed"]:
            simulator.seed_demo()
        if options["prospects"]:
            for property_id in DEMO_PROPERTY_IDS:
                if property_id not in simulator.properties:
                    simulator.add_property(property_id)
                    simulator.seed_marketing(property_id)
                simulator.seed_prospects(property_id, options["prospects"])
        simulator.start(port=options["port"], host=options["host"])
        self.stdout.write(
            f"ResMan simulator on {simulator.url}\n"
            f"  IntegrationPartnerID={PARTNER_ID} ApiKey={API_KEY} AccountID={ACCOUNT_ID}\n"
            f"  properties: {', '.join(simulator.properties) or '(none: POST /_simulator/seed)'}\n"
            f"  state: GET {simulator.url}/_simulator/state; knobs: POST {simulator.url}/_simulator/config"
        )
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            stop.wait(options["duration"])
        except KeyboardInterrupt:
            pass
        finally:
            simulator.stop()
