"""A fake OpenAI API on 127.0.0.1 speaking the real wire format: /v1/models and
/v1/chat/completions (with tool calls), with OpenAI's error bodies, able to fail like any
FakeService (fail_next, delay, garbage_next).

Replies come from a script (`reply(...)`, `call(...)`), else a default answer:

    fake.script(call("update_lead", {"has_pets": True}), reply("Noted, pets are welcome!"))
"""

import json
import time
import uuid

from core.testing.fake_http import FakeService, RecordedRequest, Reply

MODELS = ["gpt-4o-mini", "gpt-4o", "text-embedding-3-small"]


def reply(content: str) -> dict:
    return {"content": content}


def call(name: str, arguments: dict | str, *more: tuple[str, dict]) -> dict:
    """One assistant turn that calls one or more tools (`more` as (name, arguments) pairs)."""
    calls = [(name, arguments), *more]
    return {
        "tool_calls": [
            {
                "id": f"call_{uuid.uuid4().hex[:24]}",
                "type": "function",
                "function": {"name": tool, "arguments": args if isinstance(args, str) else json.dumps(args)},
            }
            for tool, args in calls
        ]
    }


def _error(status: int, message: str, kind: str, code: str | None = None) -> Reply:
    return Reply(status, {"error": {"message": message, "type": kind, "param": None, "code": code}})


class FakeOpenAI(FakeService):
    def __init__(self, api_keys=("sk-test",), **kwargs):
        super().__init__(**kwargs)
        self.api_keys = set(api_keys)
        self._script: list[dict] = []
        self.default_reply = "Happy to help! What else would you like to know?"

    def script(self, *turns: dict) -> None:
        self._script.extend(turns)

    @property
    def completions(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == "/v1/chat/completions"]

    def route(self, request: RecordedRequest) -> Reply:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.api_keys:
            return _error(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key")
        if request.method == "GET" and request.path == "/v1/models":
            return Reply(
                200,
                {
                    "object": "list",
                    "data": [{"id": m, "object": "model", "created": 1700000000, "owned_by": "openai"} for m in MODELS],
                },
            )
        if request.method == "POST" and request.path == "/v1/chat/completions":
            return self._completion(request)
        return _error(404, f"Invalid URL ({request.method} {request.path})", "invalid_request_error")

    def _completion(self, request: RecordedRequest) -> Reply:
        try:
            body = request.json()
        except ValueError:
            return _error(400, "We could not parse the JSON body of your request.", "invalid_request_error")
        if not isinstance(body, dict) or "model" not in body:
            return _error(400, "you must provide a model parameter", "invalid_request_error")
        if body["model"] not in MODELS:
            return _error(
                404, f"The model `{body['model']}` does not exist.", "invalid_request_error", "model_not_found"
            )
        messages = body.get("messages")
        if (
            not isinstance(messages, list)
            or not messages
            or not all(isinstance(m, dict) and "role" in m for m in messages)
        ):
            return _error(400, "'messages' must be a non-empty array of messages.", "invalid_request_error")
        for message in messages:
            if message["role"] == "tool" and "tool_call_id" not in message:
                return _error(400, "Missing 'tool_call_id' in tool message.", "invalid_request_error")
        turn = self._script.pop(0) if self._script else reply(self.default_reply)
        if "tool_calls" in turn and not body.get("tools"):
            return _error(400, "tool_calls need tools in the request.", "invalid_request_error")
        message = {"role": "assistant", "content": turn.get("content"), "refusal": None}
        if "tool_calls" in turn:
            message["tool_calls"] = turn["tool_calls"]
        return Reply(
            200,
            {
                "id": f"chatcmpl-{uuid.uuid4().hex[:29]}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": message,
                        "logprobs": None,
                        "finish_reason": "tool_calls" if "tool_calls" in turn else "stop",
                    }
                ],
                "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
            },
        )
