import json
from pathlib import Path

import pytest

from core.events import subscribe
from faqs.selectors import index_cache

EVAL_PATH = Path(__file__).parent / "data" / "retrieval_eval.json"


class EventRecorder:
    """Subscribed to the faqs events for the whole run; each test starts with an empty list."""

    def __init__(self):
        self.events: list[tuple[str, dict]] = []

    def handler_for(self, name):
        def record(**payload):
            self.events.append((name, payload))

        record.__qualname__ = f"EventRecorder.{name}"
        return record

    def of(self, name) -> list[dict]:
        return [payload for event, payload in self.events if event == name]


_recorder = EventRecorder()
for _name in ("faq.question_escalated", "faq.answered"):
    subscribe(_name, _recorder.handler_for(_name))


@pytest.fixture
def events():
    """What the faqs events delivered during the test. Deliveries happen after commit: wrap the
    action in `django_capture_on_commit_callbacks(execute=True)`."""
    _recorder.events.clear()
    return _recorder


@pytest.fixture(autouse=True)
def _fresh_index_cache():
    index_cache.clear()
    yield
    index_cache.clear()


@pytest.fixture(scope="session")
def evaluation_set() -> dict:
    return json.loads(EVAL_PATH.read_text())
