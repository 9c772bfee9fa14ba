"""The project's ASGI application served by uvicorn on loopback, for tests with real clients
(WebSockets, a browser, HTTP callers)."""

import asyncio
import os
import socket
import threading
import time
from contextlib import contextmanager

from channels.db import database_sync_to_async
from django.db import connections

from conversations.consumers import DB_EXECUTOR


def free_port(first: int, count: int = 100) -> int:
    """A free port in [first, first + count), the range split over xdist workers."""
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0)
    share = count // 4
    start = first + (worker % 4) * share
    for port in range(start, start + share):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"No free port in {start}-{start + share - 1}.")


@contextmanager
def serve_asgi(port: int, *, persistent_connections: bool = True):
    """Yields "127.0.0.1:<port>" while uvicorn serves config.asgi there; on exit, stops it and
    closes the database connections of the consumers' threads.

    Django's ASGI handler runs each HTTP request in a thread of its own, which ends with the
    request: a persistent connection outlives it, open until garbage collection (production uses
    DB_POOL under ASGI). `persistent_connections=False` closes them with each request, for tests
    that serve HTTP; sockets' tests keep them, as consumers reuse theirs (a tested property)."""
    import uvicorn

    from config.asgi import application

    database = connections["default"].settings_dict
    max_age = database["CONN_MAX_AGE"]
    if not persistent_connections:
        database["CONN_MAX_AGE"] = 0
    server = uvicorn.Server(
        uvicorn.Config(
            application, host="127.0.0.1", port=port, log_level="warning", lifespan="off", ws="websockets-sansio"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        database["CONN_MAX_AGE"] = max_age
        close_consumer_connections()


def close_consumer_connections() -> None:
    """Consumers query from executor threads that outlive the test; their connections would keep
    the test database from being dropped at the end of the run. Close them in those threads."""
    asyncio.run(database_sync_to_async(connections.close_all)())
    workers = DB_EXECUTOR._max_workers
    barrier = threading.Barrier(workers)

    def close_in_this_thread():
        connections.close_all()
        barrier.wait(timeout=10)  # every worker thread takes exactly one of these

    for future in [DB_EXECUTOR.submit(close_in_this_thread) for _ in range(workers)]:
        future.result()
