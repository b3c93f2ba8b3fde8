"""Sourcemark settings, read from the environment (12-factor).

Development defaults apply only while DEBUG is on; production refuses to start without the
values it needs. Every variable is listed in README.md and .env.example.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent

# A git-ignored .env beside manage.py may supply values; real environment variables always win.
# (`make run` writes one with DEBUG=true on first use, so plain `manage.py` works in a checkout.)
load_dotenv(os.environ.get("SOURCEMARK_ENV_FILE", BASE_DIR / ".env"), override=False)
VAR_DIR = Path(os.environ.get("SOURCEMARK_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable "
            "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(50))'`), "
            "or set DEBUG=true for local development."
        )
    SECRET_KEY = "django-insecure-dev-only-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Before django_tasks_db: its `db_worker` command is config's (heartbeats, reclaiming the jobs of
    # dead workers, surviving database outages; see config/worker.py).
    "config",
    "django_tasks",
    "django_tasks_db",
    "annotate",
    "suggestions",
    "labelstudio",
    "datasets",
    "claims",
    "reliability",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.DatabaseBusyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.CommonMiddleware",  # Django's; no redirect of an API write to the slashed address
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "annotate.context_processors.roles",
                "config.context_processors.lead_navigation",
            ],
        },
    },
]

# SQLite file under the git-ignored var/ folder by default; PostgreSQL via DATABASE_URL.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'sourcemark.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# How long a write waits for a lock another connection holds before giving up; the request then
# gets 503 with Retry-After (config/middleware.py, config/exceptions.py), never a 500.
DB_LOCK_TIMEOUT = float(os.environ.get("DB_LOCK_TIMEOUT", "20"))
# PostgreSQL: the hot statements (a new mark, the API token lookup) are prepared once per connection
# (annotate/compiled.py `prepared_cursor`). Off behind a connection pooler in transaction mode
# (PgBouncer before 1.21), which cannot keep a prepared statement between transactions.
DB_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if "DATABASE_URL" not in os.environ:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
    # WAL and a busy timeout let the web server and the task worker share the file. Connections
    # persist (CONN_MAX_AGE) as on PostgreSQL: with a connection per request, closing the last one
    # checkpointed the WAL and the next commit restarted it (4.5 ms per COMMIT instead of 0.07 ms;
    # a mark write under gunicorn took 40-50 ms instead of 11-20 ms).
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": DB_LOCK_TIMEOUT,
    }
elif DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    # The same bound on PostgreSQL: a write stuck behind a held row or table lock fails after
    # DB_LOCK_TIMEOUT (lock_timeout) instead of hanging until the server's worker timeout.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c lock_timeout={int(DB_LOCK_TIMEOUT * 1000)}".strip()

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
FORMS_URLFIELD_ASSUME_HTTPS = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed files for production (needs collectstatic); plain files in
        # development and tests.
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
EXPORT_ROOT = Path(os.environ.get("EXPORT_ROOT", VAR_DIR / "exports"))

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "landing"  # leads to their home, reviewers to their queue
LOGOUT_REDIRECT_URL = "home"

# Ingestion limits. JSON from outside (request bodies, JSONL lines) nests at most this deep.
JSON_MAX_DEPTH = int(os.environ.get("JSON_MAX_DEPTH", "64"))
INGEST_MAX_BYTES = int(os.environ.get("INGEST_MAX_BYTES", str(2 * 1024 * 1024)))  # per article (a file or a JSONL line)
# Articles stored per transaction by `ingest`: bounded, so a write lock is never held for long.
INGEST_BATCH_ARTICLES = int(os.environ.get("INGEST_BATCH_ARTICLES", "500"))
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DATA_UPLOAD_MAX_MEMORY_SIZE", str(4 * 1024 * 1024)))

# Anonymous visitors may read published scores and outlet pages unless this is off.
PUBLIC_SCORES = env_bool("PUBLIC_SCORES", True)

# Suggested marks: the learned label model is trained only from this many gold-labelled sentences
# on (`python manage.py suggest train`); below it suggestions come from the rules.
SUGGEST_MIN_TRAINING = int(os.environ.get("SUGGEST_MIN_TRAINING", "200"))
# What the annotation page calls for suggested marks (annotate imports no other app; "" turns them off).
SUGGESTIONS_PROVIDER = "suggestions.predict.suggestions_for_sentences"

# After a mark or adjudication changes, scores are recomputed in the background at most once per
# this many seconds (a burst of edits costs one recompute); off: recompute on demand only.
SCORES_AUTO_RECOMPUTE = env_bool("SCORES_AUTO_RECOMPUTE", True)
SCORES_RECOMPUTE_DELAY = int(os.environ.get("SCORES_RECOMPUTE_DELAY", "60"))

# Claims across outlets: each ingested article is matched against the index in the background
# (off: run `manage.py claims match`); group status reads gold labels through this function.
CLAIMS_AUTO_MATCH = env_bool("CLAIMS_AUTO_MATCH", True)
# Articles matched per transaction after an ingest (each batch holds the write lock while it runs).
CLAIMS_MATCH_BATCH = int(os.environ.get("CLAIMS_MATCH_BATCH", "20"))
# After gold labels change, claim groups' cached status is refreshed in the background at most once
# per this many seconds (a burst of mark writes costs one refresh).
CLAIMS_AUTO_REFRESH = env_bool("CLAIMS_AUTO_REFRESH", True)
CLAIMS_REFRESH_DELAY = int(os.environ.get("CLAIMS_REFRESH_DELAY", "60"))
CLAIMS_GOLD_LABELS = "reliability.queries.sentences_with_gold"
# What the annotate app's article page and API show as the article's links to what it restates.
ARTICLE_LINKS_PROVIDER = "claims.queries.article_links_for"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "config.tokens.TokenAuthentication",  # `Authorization: Token <key>`, hashed (django-rest-knox)
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "annotate.safejson.JSONParser",  # DRF's, with the JSON_MAX_DEPTH nesting limit
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # every list takes `?page_size=` (up to 5000): scores, exports, claims and adjudications too
    "DEFAULT_PAGINATION_CLASS": "annotate.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "annotate.ordering.OrderingFilter",  # DRF's, the primary key breaking ties (stable pages)
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.exceptions.exception_handler",
}

# API tokens (config/tokens.py): `Authorization: Token <key>`; a key lives API_TOKEN_TTL_DAYS days
# (0: until revoked). Only its SHA-512 digest is stored.
_TOKEN_DAYS = int(os.environ.get("API_TOKEN_TTL_DAYS", "30"))
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=_TOKEN_DAYS) if _TOKEN_DAYS > 0 else None,
    "AUTH_HEADER_PREFIX": "Token",
}

# Failed sign-ins (HTML login and POST /api/v1/auth/token/) allowed per client address and
# username; five times as many per address, counted in the cache (shared by every process with
# the default database cache). NUM_PROXIES: trusted proxies in front (X-Forwarded-For).
LOGIN_THROTTLE_RATE = os.environ.get("LOGIN_THROTTLE_RATE", "10/min")
NUM_PROXIES = int(os.environ.get("NUM_PROXIES", "0"))

SPECTACULAR_SETTINGS = {
    "TITLE": "Sourcemark API",
    "DESCRIPTION": "Sentence-level source annotation and per-outlet reliability scores.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"LabelEnum": "annotate.codebook.Label", "SourceKindEnum": "annotate.codebook.SourceKind"},
}

# Label Studio server for `labelstudio push|pull` and the admin actions (docs/labelstudio.md).
# The key is a legacy API token or a personal access token.
LABEL_STUDIO_URL = os.environ.get("LABEL_STUDIO_URL", "")
LABEL_STUDIO_API_KEY = os.environ.get("LABEL_STUDIO_API_KEY", "")
LABEL_STUDIO_PROJECT_TITLE = os.environ.get("LABEL_STUDIO_PROJECT_TITLE", "Sourcemark")

# Background tasks: django-tasks with its database backend (no broker); run a worker with
# `python manage.py db_worker` (config's: scripts/worker keeps one running). Tests use the
# immediate backend. A worker writes a heartbeat every TASK_HEARTBEAT_SECONDS; a task whose worker
# has sent none for TASK_LEASE_SECONDS is run again, up to TASK_MAX_ATTEMPTS attempts in all,
# then failed with the reason (config/worker.py).
TASKS = {"default": {"BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}
TASK_HEARTBEAT_SECONDS = float(os.environ.get("TASK_HEARTBEAT_SECONDS", "10"))
TASK_LEASE_SECONDS = float(os.environ.get("TASK_LEASE_SECONDS", "60"))
TASK_MAX_ATTEMPTS = int(os.environ.get("TASK_MAX_ATTEMPTS", "2"))


def cache_from_url(url: str) -> dict:
    """The `shared` cache from CACHE_URL: empty or db:// -> the database table `sourcemark_cache`
    (shared by every process and machine; created by the config app's migration); file:///path ->
    files (one machine); locmem:// -> each process its own (tests)."""
    # Room for many keys: at Django's default of 300 a spray of sign-ins with made-up names would
    # cull the counts that throttle it.
    options = {"MAX_ENTRIES": 100_000}
    if url in ("", "db://"):
        return {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "sourcemark_cache",
            "OPTIONS": options,
        }
    if url.startswith("file://"):
        return {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": url[len("file://") :],
            "OPTIONS": options,
        }
    if url == "locmem://":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    raise ImproperlyConfigured(f"CACHE_URL={url!r}: use db://, file:///path or locmem://")


# Two caches: `default` is each process's own memory (free: e.g. the recompute debounce asked on
# every mark write); `shared` is one for every process and machine, for what must count globally
# (the sign-in throttle, config/throttling.py). With CACHE_URL=locmem:// both are the same memory.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "shared": cache_from_url(os.environ.get("CACHE_URL", "")),
}

# Security. Production (DEBUG off) gets secure cookies and HTTPS redirects; HSTS is opt-in.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Load balancers check /health/ over plain HTTP: it never redirects (it shows nothing internal).
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_SECONDS:
        # HSTS is opt-in (it cannot be undone quickly); we say so instead of warning each start.
        SILENCED_SYSTEM_CHECKS = ["security.W004"]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
    }
}

# One console handler on the root logger, each line once: Django's own "django" console handler
# (a second copy of every line under DEBUG) is replaced; a 4xx (403, 404, 400) is one line, its
# traceback dropped (config/logging.py); 5xx keep theirs.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"client_errors_without_traceback": {"()": "config.logging.ClientErrorsWithoutTraceback"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["client_errors_without_traceback"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "INFO"},
    },
}
