"""Settings come from the environment: the embedded default with nothing set, real services with URLs."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, django
django.setup()
from django.conf import settings
from config.celery import app
db = settings.DATABASES["default"]
print(json.dumps({
    "db": db["ENGINE"], "conn_max_age": db.get("CONN_MAX_AGE"), "pool": "pool" in db.get("OPTIONS", {}),
    "options": db.get("OPTIONS", {}).get("options"),
    "cache": settings.CACHES["default"]["BACKEND"], "layer": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "eager": app.conf.task_always_eager, "broker": app.conf.broker_url,
}))
"""


def probe(**env):
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DB_POOL"}}
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_nothing_set_is_the_embedded_default():
    found = probe()
    assert found["db"] == "django.db.backends.sqlite3"
    assert found["cache"].endswith("LocMemCache")
    assert found["layer"] == "channels.layers.InMemoryChannelLayer"
    assert found["eager"] is True


def test_urls_select_postgres_and_redis():
    found = probe(DATABASE_URL="postgres://u@db:5432/x", REDIS_URL="redis://r:6379/0")
    assert found["db"] == "django.db.backends.postgresql"
    assert found["conn_max_age"] == 60
    assert found["options"] == "-c statement_timeout=10000"
    assert found["cache"] == "django_redis.cache.RedisCache"
    assert found["layer"] == "channels_redis.pubsub.RedisPubSubChannelLayer"
    assert found["eager"] is False
    assert found["broker"] == "redis://r:6379/0"


def test_asgi_servers_use_the_pool_instead_of_persistent_connections():
    found = probe(DATABASE_URL="postgres://u@db:5432/x", DB_POOL="1")
    assert found["pool"] is True
    assert found["conn_max_age"] == 0


def test_production_requires_a_secret_key():
    with pytest.raises(subprocess.CalledProcessError) as failure:
        probe(DEPLOYMENT="production", DJANGO_SECRET_KEY="")
    assert "DJANGO_SECRET_KEY" in failure.value.stderr


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_postgres_sessions_carry_the_statement_timeout(db):
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "10s"
