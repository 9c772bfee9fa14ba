"""Load `GET /api/properties?limit=20` over real HTTP next to a bare DRF view, in one run.

    python benchmarks/properties_list.py [--duration 15] [--connections 16] [--database-url URL]

It creates (or reuses) a PostgreSQL database, seeds one company with 40 properties and a company
admin, starts gunicorn with two sync workers on 127.0.0.1, and loads both routes with wrk
(Debian's `wrk` package). It prints requests/second and latency percentiles for each, and the
ratio of the two rates (the aim: the real route at 60% or more of the bare view).
"""

import argparse
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = 8790


def sh(cmd, env, **kwargs):
    return subprocess.run(cmd, env=env, cwd=ROOT, check=True, text=True, capture_output=True, **kwargs)


def seed(env) -> str:
    code = """
from django.core.management import call_command
from rest_framework_simplejwt.tokens import AccessToken
from accounts.models import User
from companies.models import Company
from properties.models import Property, PropertyManager
company, _ = Company.objects.get_or_create(name="Bench Co")
for i in range(40 - Property.objects.filter(company=company).count()):
    Property.objects.create(company=company, name=f"Bench Property {i:03}", address=f"{i} Loop Road",
        city="Austin", state="TX", zip_code="78701", units_count=200 + i,
        amenities=["Pool", "Gym", "Dog park"], features=["Balcony"],
        chatbot_business_hours={"monday": [{"open": "09:00", "close": "18:00"}]})
user = User.objects.filter(email="bench@bench.test").first() or User.objects.create_user(email="bench@bench.test")
PropertyManager.objects.get_or_create(
    user=user, defaults={"company": company, "role": "company_admin", "access_level": "write"})
print(AccessToken.for_user(user))
"""
    return sh([sys.executable, "manage.py", "shell", "-c", code], env).stdout.strip().splitlines()[-1]


def wrk(url, seconds, connections, token=None):
    cmd = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency", url]
    if token:
        cmd[1:1] = ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(cmd, check=True, text=True, capture_output=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rate, percentiles, int(errors.group(1)) if errors else 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/leasing_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    args = parser.parse_args()

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "RATE_LIMIT_API": "100000000/1m",
        "ACCESS_LOG_LEVEL": "WARNING",
        "LOG_LEVEL": "WARNING",
    }
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-c", "CREATE DATABASE leasing_bench"], capture_output=True
    )
    sh([sys.executable, "manage.py", "migrate", "-v0"], env)
    token = seed(env)

    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{PORT}",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/api/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        base = f"http://127.0.0.1:{PORT}"
        wrk(f"{base}/bench/bare-properties", 3, args.connections)  # warm-up
        wrk(f"{base}/api/properties?limit=20", 3, args.connections, token)
        bare = wrk(f"{base}/bench/bare-properties", args.duration, args.connections)
        real = wrk(f"{base}/api/properties?limit=20", args.duration, args.connections, token)
    finally:
        server.terminate()
        server.wait()

    print(f"gunicorn 2 sync workers, PostgreSQL, Redis, wrk -c {args.connections} -d {args.duration}s")
    for name, (rate, pct, errors) in (("bare DRF view (20 rows)", bare), ("GET /api/properties?limit=20", real)):
        print(f"{name:32} {rate:8.1f} req/s  p50 {pct.get('50')}  p99 {pct.get('99')}  non-2xx {errors}")
    print(f"ratio: {real[0] / bare[0]:.0%} of the bare view's rate (aim: >= 60%)")


if __name__ == "__main__":
    main()
