"""200 concurrent widget WebSockets on loopback, each sending 10 messages to the local engine and
waiting for the bot's reply, paced (about one message a second per socket) and back to back.

    python benchmarks/chat_ws.py [--server uvicorn|daphne] [--workers 2] [--sockets 200] [--messages 10]
                                 [--mode paced|burst|both] [--app chat|bare] [--db-pool 1|0]
                                 [--database-url URL] [--redis-url URL]

It creates (or reuses) a PostgreSQL database, seeds a property and one conversation per socket,
serves config.asgi over Redis pub/sub with pooled database connections (DB_POOL=1), and opens the
sockets with the conversations' tokens, as the widget does. It prints messages/second, p50/p90/
p99/max of the round trip (send -> the bot's reply), p50/p99 of connecting, and the CPU time per
message of the server, of PostgreSQL and of this client, then checks in the database that every
message and reply was stored exactly once. `--app bare` runs the same load against
benchmarks/chat_bare_asgi.py (two inserts and two broadcasts per message), the floor to compare to.

This machine's speed drifts (the same run's CPU per message has doubled within minutes): compare
chat and bare in runs taken one after the other, and repeat.

The chat limit (30 a minute per browser and per IP) is lifted for the run: every socket comes from
127.0.0.1, and the limit is not what is measured.
"""

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import websockets

ROOT = Path(__file__).resolve().parent.parent
PORT = 8390
ASGI_APPS = {"chat": "config.asgi:application", "bare": "benchmarks.chat_bare_asgi:application"}
TEXTS = [
    "Hi there",
    "We need a 2br",
    "moving mid-March",
    "around $1,800 a month",
    "just me",
    "we have a dog",
    "my name is Sam",
    "we need parking",
    "sounds good",
    "thanks",
]


def sh(cmd, env):
    return subprocess.run(cmd, env=env, cwd=ROOT, check=True, text=True, capture_output=True).stdout


SEED = """
import json
from companies.models import Company
from conversations.models import Conversation, Prospect
from properties.models import Property
company, _ = Company.objects.get_or_create(name="Chat Bench Co")
prop, _ = Property.objects.get_or_create(company=company, name="Chat Bench Property", defaults=dict(
    address="1 Loop Road", city="Austin", state="TX", zip_code="78701", time_zone="America/Chicago",
    amenities=["Pool", "Gym"], chatbot_welcome_message="Hi from the bench!"))
Conversation.objects.filter(property=prop).delete()
Prospect.objects.filter(company=company).delete()
rows = []
for n in range(SOCKETS):
    prospect = Prospect.objects.create(company=company, browser_id=f"bench-browser-{n:05d}")
    conversation = Conversation.objects.create(property=prop, prospect=prospect, source="bench")
    rows.append([str(conversation.pk), conversation.token])
print(json.dumps(rows))
"""

VERIFY = """
import json
from django.db.models import Count
from conversations.models import Message
rows = Message.objects.filter(conversation__property__name="Chat Bench Property")
by_sender = dict(rows.values_list("sender").annotate(n=Count("id")).order_by())
duplicates = rows.exclude(client_message_id=None).values("conversation", "client_message_id").annotate(
    n=Count("id")).filter(n__gt=1).count()
gaps = rows.values("conversation").annotate(n=Count("id"), top=Count("seq", distinct=True)).exclude(n=0)
print(json.dumps({"by_sender": by_sender, "duplicates": duplicates,
                  "seq_ok": all(r["n"] == r["top"] for r in gaps)}))
"""


def percentile(values, share):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def one_socket(url, conversation, token, messages, paced, results, start_gate):
    began = time.perf_counter()
    async with websockets.connect(f"{url}/api/ws/chat/{conversation}?token={token}", max_queue=None) as socket:
        while json.loads(await socket.recv())["type"] != "ready":
            pass
        results["connect"].append(time.perf_counter() - began)
        await start_gate.wait()
        if paced:
            await asyncio.sleep(random.random())
        for n in range(messages):
            sent = time.perf_counter()
            await socket.send(
                json.dumps({"type": "message", "text": TEXTS[n % len(TEXTS)], "client_message_id": f"m{n}"})
            )
            while True:
                frame = json.loads(await asyncio.wait_for(socket.recv(), 30))
                if frame["type"] == "error":
                    results["errors"].append(frame)
                    break
                if frame["type"] == "message" and frame["message"]["sender"] == "bot":
                    break
            results["rtt"].append(time.perf_counter() - sent)
            if paced:
                await asyncio.sleep(max(0.0, 1.0 - (time.perf_counter() - sent)))


def _cpu_seconds(pids) -> float:
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def cpu_snapshot(server) -> dict:
    """CPU time used so far (Linux /proc) by the server with its workers, and by PostgreSQL's
    backends (a backend that exits mid-run takes its share with it; the pool keeps them open)."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    server_pids = [str(server.pid), *(children.read_text().split() if children.exists() else [])]
    backends = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "cmdline").read_bytes().startswith(b"postgres: "):
                    backends.append(entry.name)
            except OSError:
                continue
    return {"server": _cpu_seconds(server_pids), "database": _cpu_seconds(backends)}


async def run_clients(url, rows, messages, paced, server):
    results = {"connect": [], "rtt": [], "errors": []}
    gate = asyncio.Event()
    tasks = [asyncio.create_task(one_socket(url, c, t, messages, paced, results, gate)) for c, t in rows]
    while len(results["connect"]) < len(rows):
        failed = [task for task in tasks if task.done() and task.exception()]
        if failed:
            raise failed[0].exception()
        await asyncio.sleep(0.01)
    started, cpu_before, client_before = time.perf_counter(), cpu_snapshot(server), time.process_time()
    gate.set()
    await asyncio.gather(*tasks)
    results["seconds"] = time.perf_counter() - started
    cpu_after = cpu_snapshot(server)
    results["cpu"] = {name: cpu_after[name] - cpu_before[name] for name in cpu_after}
    results["cpu"]["client"] = time.process_time() - client_before
    return results


def start_server(args, env):
    if args.server == "uvicorn":
        cmd = [
            str(ROOT / ".venv/bin/uvicorn"), ASGI_APPS[args.app], "--host", "127.0.0.1", "--port", str(PORT),
            "--workers", str(args.workers), "--ws", "websockets-sansio", "--ws-per-message-deflate", "false",
            "--backlog", "2048", "--log-level", "warning",
            "--no-access-log", "--lifespan", "off",
        ]  # fmt: skip
    else:
        # daphne takes its listen backlog in a Twisted endpoint string (it has no --backlog flag).
        cmd = [
            str(ROOT / ".venv/bin/daphne"), "-e", f"tcp:{PORT}:interface=127.0.0.1:backlog=2048",
            "-v", "0", ASGI_APPS[args.app],
        ]  # fmt: skip
    server = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            import socket

            with socket.create_connection(("127.0.0.1", PORT), timeout=0.5):
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not start; run its command by hand to see why: " + " ".join(cmd))


def report(name, results, sockets, messages):
    rtt = [value * 1000 for value in results["rtt"]]
    connect = [value * 1000 for value in results["connect"]]
    rate = len(rtt) / results["seconds"]
    print(f"{name}: {len(rtt)} messages in {results['seconds']:.1f} s = {rate:.0f} messages/s")
    print(
        f"  round trip  p50 {percentile(rtt, 0.5):7.1f} ms   p90 {percentile(rtt, 0.9):7.1f} ms"
        f"   p99 {percentile(rtt, 0.99):7.1f} ms   max {max(rtt):7.1f} ms"
    )
    print(f"  connect     p50 {percentile(connect, 0.5):7.1f} ms   p99 {percentile(connect, 0.99):7.1f} ms")
    per_message = {name: seconds / max(1, len(rtt)) * 1000 for name, seconds in results["cpu"].items()}
    print(
        f"  CPU per message: server {per_message['server']:.2f} ms, PostgreSQL {per_message['database']:.2f} ms,"
        f" this client {per_message['client']:.2f} ms"
    )
    print(f"  errors {len(results['errors'])}; expected {sockets * messages} round trips")
    return rate


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", choices=["uvicorn", "daphne"], default="uvicorn")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--sockets", type=int, default=200)
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument("--mode", choices=["paced", "burst", "both"], default="both")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/leasing_chat_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--db-pool", choices=["0", "1"], default="1", help="psycopg pool (1) or persistent connections")
    parser.add_argument("--app", choices=["chat", "bare"], default="chat", help="bare: benchmarks/chat_bare_asgi.py")
    args = parser.parse_args()

    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "DB_POOL": args.db_pool,
        "DB_POOL_MAX": "24",
        "DJANGO_SECRET_KEY": "chat-benchmark-only",
        "CHANNELS_PREFIX": "chatbench",
        "RATE_LIMIT_CHAT": "1000000/1m",
        "LOG_LEVEL": "WARNING",
        "ACCESS_LOG_LEVEL": "WARNING",
    }
    name = args.database_url.rsplit("/", 1)[1]
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], capture_output=True)
    sh([sys.executable, "manage.py", "migrate", "--no-input", "-v0"], env)
    url = f"ws://127.0.0.1:{PORT}"
    modes = ["paced", "burst"] if args.mode == "both" else [args.mode]
    workers = f" with {args.workers} workers" if args.server == "uvicorn" else ""
    app = "the bare comparison consumer" if args.app == "bare" else "the chat"
    print(f"{args.sockets} sockets x {args.messages} messages to {app}, {args.server}{workers}, DB_POOL={args.db_pool}")
    failures = 0
    for mode in modes:
        seed = SEED.replace("SOCKETS", str(args.sockets))
        rows = json.loads(sh([sys.executable, "manage.py", "shell", "-c", seed], env).strip().splitlines()[-1])
        server = start_server(args, env)
        try:
            results = asyncio.run(run_clients(url, rows, args.messages, paced=mode == "paced", server=server))
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        report(
            "paced (1 message/s per socket)" if mode == "paced" else "back to back",
            results,
            args.sockets,
            args.messages,
        )
        stored = json.loads(sh([sys.executable, "manage.py", "shell", "-c", VERIFY], env).strip().splitlines()[-1])
        expected = args.sockets * args.messages
        ok = (
            stored["by_sender"].get("prospect") == expected
            and stored["by_sender"].get("bot") == expected
            and stored["duplicates"] == 0
            and stored["seq_ok"]
        )
        failures += not ok
        print(f"  stored: {stored['by_sender']}, duplicates {stored['duplicates']}, numbering ok {stored['seq_ok']}"
              f" -> {'every message and reply stored exactly once' if ok else 'MISMATCH'}")  # fmt: skip
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
