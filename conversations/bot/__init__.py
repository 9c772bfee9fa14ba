"""The leasing bot: a reply engine per company (local, or OpenAI with a local fallback)."""

from django.conf import settings

from conversations.bot.base import BotContext, BotReply, ReplyEngine
from conversations.bot.local import LocalEngine
from conversations.bot.openai_engine import OpenAIEngine
from conversations.models import ReplyEngineChoice
from core.clients.openai import OpenAIClient

__all__ = ["BotContext", "BotReply", "ReplyEngine", "engine_for"]


def engine_for(company, chat_settings=None) -> ReplyEngine:
    """OpenAI when the company has a key (and has not chosen the local engine), else local."""
    choice = chat_settings.reply_engine if chat_settings else ReplyEngineChoice.AUTO
    if choice == ReplyEngineChoice.AUTO and company.openai_api_key:
        client = OpenAIClient(company.openai_api_key, timeout=settings.CHAT_OPENAI_TIMEOUT)
        model = chat_settings.openai_model if chat_settings else settings.CHAT_OPENAI_MODEL
        return OpenAIEngine(client, model=model)
    return LocalEngine()
