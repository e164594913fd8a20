"""Settings shared by every configuration; deployment-specific values come from the environment."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab

from rebal.env import env_bool, env_database, env_int, env_list, env_redis_url, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
STATE_DIR = Path(env_str("REBAL_STATE_DIR", str(BASE_DIR / ".rebal")))

SECRET_KEY = env_str("DJANGO_SECRET_KEY",
                     "insecure-development-key-not-for-production-use-0123456789")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "guardian",
    "simple_history",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "rebal",
    "dataops",
    "models_hub",
    "accounts",
    "optimizer",
    "workflow",
    "reports",
    "demo",
]

MIDDLEWARE = [
    "rebal.observability.logs.RequestIdMiddleware",
    "rebal.observability.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "rebal.middleware.FirmContextMiddleware",
    "rebal.middleware.SignInGateMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "rebal.urls"
WSGI_APPLICATION = "rebal.wsgi.application"
AUTH_USER_MODEL = "rebal.User"

# Form widgets from Django's own Jinja2 templates: the same markup, rendered about twice as
# fast as through the Django template engine (a queue of 20 cards with two forms each: 166 ms
# to 89 ms).
FORM_RENDERER = "django.forms.renderers.Jinja2"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "rebal.context_processors.firm_context",
            ],
        },
    },
]

# The application connects as a role that is neither superuser nor BYPASSRLS; migrations run
# through the "owner" alias, present only where REBAL_OWNER_DATABASE_URL is set.
DATABASES = {"default": env_database("REBAL_DATABASE_URL")}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# No JIT compilation: the planner's estimates for permission subqueries run far above the rows
# they return, which made pages compile queries (~0.8 s) that run in 0.1 s.
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
_owner_url = env_str("REBAL_OWNER_DATABASE_URL", "")
if _owner_url:
    DATABASES["owner"] = env_database("REBAL_OWNER_DATABASE_URL")
REBAL_APP_DB_ROLE = DATABASES["default"]["USER"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lockout after repeated failures: of one username from anywhere, or from one address.
AXES_FAILURE_LIMIT = env_int("REBAL_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("REBAL_LOCKOUT_MINUTES", 30, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_TEMPLATE = "rebal/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# Second factor: a firm may require it; the production configuration requires it everywhere.
REBAL_REQUIRE_TOTP = env_bool("REBAL_REQUIRE_TOTP", False)
OTP_TOTP_ISSUER = "Rebal"

GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None  # no guardian anonymous user: nothing is granted to the anonymous

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = STATE_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

REDIS_URL = env_redis_url("REDIS_URL", "redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = REDIS_URL
# The shared cache (API rate limits): Redis, with keys of this database only, so deployments or
# test runs sharing one Redis never count against each other.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                      "LOCATION": REDIS_URL,
                      "KEY_PREFIX": f"rebal:{DATABASES['default']['NAME']}"}}
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_DEFAULT_QUEUE = env_str("REBAL_CELERY_QUEUE", "rebal")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# No task runs longer than its hard limit, and the broker re-delivers an unacknowledged task
# only after the visibility timeout, longer still: a slow task is never run twice by the broker.
CELERY_TASK_TIME_LIMIT = env_int("REBAL_TASK_TIME_LIMIT_SECONDS", 3600, minimum=60)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("REBAL_BROKER_VISIBILITY_SECONDS", 2 * 3600, minimum=120)}
CELERY_BEAT_SCHEDULE = {
    "scan-feed-inboxes": {"task": "dataops.inbox_scan_all",
                          "schedule": env_int("REBAL_INBOX_SCAN_SECONDS", 60, minimum=5)},
    # Starts each firm's due nightly run once, and sweeps running runs (workflow.tasks).
    "nightly-tick": {"task": "workflow.nightly_tick_all",
                     "schedule": env_int("REBAL_NIGHTLY_TICK_SECONDS", 60, minimum=1)},
    # Released orders the OMS has not acknowledged in time alert the overlay managers.
    "orders-unacknowledged": {"task": "workflow.orders_unacknowledged_sweep_all",
                              "schedule": env_int("REBAL_ORDER_SWEEP_SECONDS", 120, minimum=5)},
    # Each firm's taxes-saved report of the previous month (reports.tasks), on the 1st.
    "monthly-reports": {"task": "reports.monthly_reports_all",
                        "schedule": crontab(minute=0, hour=6, day_of_month=1)},
}
# A released order not acknowledged by the OMS after this long is late.
REBAL_ORDER_ACK_SECONDS = env_int("REBAL_ORDER_ACK_SECONDS", 900, minimum=60)
# A queued chunk of a running run that no worker holds after this long is queued again.
REBAL_NIGHTLY_STALL_SECONDS = env_int("REBAL_NIGHTLY_STALL_SECONDS", 900, minimum=1)
FEED_INBOX = Path(env_str("REBAL_FEED_INBOX", str(STATE_DIR / "inbox")))
REBAL_WORKER_HEARTBEAT_SECONDS = env_int("REBAL_WORKER_HEARTBEAT_SECONDS", 10, minimum=1)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rebal.api.authentication.APITokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rebal.api.permissions.RoleActionPermission"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rebal.api.pagination.Pagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "rebal.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_CLASSES": ["rebal.api.throttling.CallerRateThrottle"],
}
# Requests per caller (token, person or address) through the API, counted across processes.
REBAL_API_RATE = env_str("REBAL_API_RATE", "1200/minute")
SPECTACULAR_SETTINGS = {
    "TITLE": "Rebal API",
    "DESCRIPTION": "Tax-aware rebalancing: accounts, feeds, orders. Authenticate with "
    "`Authorization: Token <token>` using a per-firm API token.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}

# One JSON object per line, with the request, firm, task and run ids of what it happened in
# (rebal.observability.logs); REBAL_LOG_FORMAT=text for people reading a terminal.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "rebal.observability.logs.ContextFilter"}},
    "formatters": {"json": {"()": "rebal.observability.logs.Formatter"},
                   "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["context"],
                             "formatter": env_str("REBAL_LOG_FORMAT", "json")}},
    "root": {"handlers": ["console"], "level": env_str("REBAL_LOG_LEVEL", "INFO")},
    # Libraries that narrate every step at INFO: their warnings only.
    "loggers": {name: {"level": "WARNING"} for name in ("axes", "weasyprint", "fontTools")},
}
# /metrics answers only a scraper sending `Authorization: Bearer <token>`; empty: no endpoint.
REBAL_METRICS_TOKEN = env_str("REBAL_METRICS_TOKEN", "")
# Each app's firm gauges for /metrics, called in one firm's context at a time.
REBAL_FIRM_METRICS = ["dataops.metrics.feed_metrics", "workflow.metrics.run_metrics"]
