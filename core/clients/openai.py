"""OpenAI over its real HTTP API. Used by the bot and by FAQ retrieval; knows nothing of models."""

from django.conf import settings

from core.clients.http import ExternalServiceError, ExternalServiceRejected, JsonHttpClient
from core.integrations import IntegrationCheck


class OpenAIClient(JsonHttpClient):
    def __init__(self, api_key: str, *, base_url: str | None = None, timeout: float | None = None):
        super().__init__(
            base_url or settings.OPENAI_API_URL,
            timeout=timeout,
            headers={"Authorization": f"Bearer {api_key}"},
        )

    def list_models(self) -> list[str]:
        body = self.request("GET", "/v1/models").json()
        return [model["id"] for model in body.get("data", [])]

    def chat_completion(
        self, *, model: str, messages: list[dict], tools: list[dict] | None = None, temperature: float = 0.3
    ) -> dict:
        """POST /v1/chat/completions; returns the first choice's message (`content` and/or `tool_calls`)."""
        payload: dict = {"model": model, "messages": messages, "temperature": temperature}
        if tools:
            payload["tools"] = tools
            payload["tool_choice"] = "auto"
        response = self.request("POST", "/v1/chat/completions", json=payload)
        try:
            message = response.json()["choices"][0]["message"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise ExternalServiceError("OpenAI answered with something that is not a chat completion.") from None
        if not isinstance(message, dict) or not (message.get("content") or message.get("tool_calls")):
            raise ExternalServiceError("OpenAI's chat completion holds neither text nor tool calls.")
        return message


def check_openai(company) -> IntegrationCheck:
    if not company.openai_api_key:
        return IntegrationCheck("openai", configured=False, ok=False, message="No OpenAI API key is set.")
    try:
        models = OpenAIClient(company.openai_api_key).list_models()
    except ExternalServiceRejected as exc:
        return IntegrationCheck("openai", configured=True, ok=False, message=f"Rejected: {exc}")
    except (ExternalServiceError, ValueError) as exc:
        return IntegrationCheck("openai", configured=True, ok=False, message=f"Unreachable: {exc}")
    return IntegrationCheck("openai", configured=True, ok=True, message=f"Key accepted; {len(models)} models.")
