"""What the two ResMan benchmarks share: a fresh PostgreSQL database, the simulator in its own
process (so its memory is not counted as ours), and Django set up against them."""

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIMULATOR_PORT = 8461
BENCH_PROPERTY = "0b5e6a1c-1111-4222-8333-b3ac4e5f6a7b"


def bench_env(database_url: str, redis_url: str, **extra) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "LOG_LEVEL": "WARNING",
        "ACCESS_LOG_LEVEL": "WARNING",
        **{key: str(value) for key, value in extra.items()},
    }


def fresh_database(database_url: str) -> None:
    name = database_url.rsplit("/", 1)[-1]
    for sql in (f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", sql], check=True, capture_output=True)


def start_simulator(env: dict, *args: str) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "manage.py", "resman_simulator", "--port", str(SIMULATOR_PORT), *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            simulator("GET", "/_simulator/state")
            return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("The simulator did not start.")


def simulator(method: str, path: str, body: dict | None = None):
    request = urllib.request.Request(
        f"http://127.0.0.1:{SIMULATOR_PORT}{path}",
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def setup_django(env: dict) -> None:
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def bench_property(*, name: str):
    """A company and property linked to the simulator, with the defaults a push needs."""
    from companies.models import Company
    from properties.models import Property
    from resman.services.common import property_settings_update
    from resman.simulator import ACCOUNT_ID, API_KEY, PARTNER_ID

    company = Company.objects.create(
        name=name,
        resman_base_url=f"http://127.0.0.1:{SIMULATOR_PORT}",
        resman_account_id=ACCOUNT_ID,
        resman_integration_partner_id=PARTNER_ID,
        resman_api_key=API_KEY,
    )
    property_ = Property.objects.create(
        company=company,
        name=f"{name} Apartments",
        address="1 Bench Way",
        city="Austin",
        state="TX",
        zip_code="78701",
        resman_property_id=BENCH_PROPERTY,
    )
    property_settings_update(
        property=property_, default_source_id="SRC-CHAT", default_agent_id="EMP-2", default_lost_reason_id="LR-1"
    )
    return property_
