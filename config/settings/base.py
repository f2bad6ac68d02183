"""Settings shared by every environment; every value can come from the environment."""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
env_file = BASE_DIR / ".env"
if env_file.exists():
    environ.Env.read_env(str(env_file))

SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-local-development-key-change-me")
# Earlier keys, still accepted for sessions and sealed secrets while rotating (comma-separated).
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS: list[str] = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "annotation_qc.core",
    "annotation_qc.accounts",
    "annotation_qc.projects",
    "annotation_qc.labeling",
    "annotation_qc.benchmarks",
    "annotation_qc.linting",
    "annotation_qc.prioritization",
    "annotation_qc.agreement",
    "annotation_qc.exchange",
    "annotation_qc.alerts",
    "annotation_qc.review",
    "annotation_qc.datahealth",
    "annotation_qc.drafts",
    "annotation_qc.workflow",
]

MIDDLEWARE = [
    "annotation_qc.core.middleware.RequestIdMiddleware",
    # Before anything that reads a session, a token or the database (annotation_qc/core/overload.py).
    "annotation_qc.core.overload.LoadSheddingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

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
            ]
        },
    }
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite serialises writers; wait for the lock instead of failing, and take it at BEGIN so
    # dispatch never upgrades a read lock mid-transaction. WAL lets readers run beside the writer,
    # and synchronous=NORMAL (safe under WAL) spares an fsync per commit.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    # Fail-open: with Redis down, reads miss and writes are dropped (see annotation_qc.core.cache).
    CACHES = {
        "default": {
            "BACKEND": "annotation_qc.core.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
FRONTEND_DIST = BASE_DIR / "frontend" / "dist"
STATICFILES_DIRS = [FRONTEND_DIST] if FRONTEND_DIST.exists() else []
# Serve the built UI straight from frontend/dist as well (no collectstatic needed for `make run`);
# production images also collect it into STATIC_ROOT with hashed names.
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))

# Item images, import uploads and export snapshots (annotation_qc/core/storage.py): the local file
# system under MEDIA_ROOT by default, or an S3-compatible bucket (AWS S3, MinIO, ...) once
# AWS_STORAGE_BUCKET_NAME is set. With any other AWS_S3_* setting but no bucket the app refuses to
# start rather than quietly keeping files on one machine's disk.
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
_S3_SETTINGS = ("AWS_S3_ENDPOINT_URL", "AWS_S3_PUBLIC_ENDPOINT_URL", "AWS_S3_REGION_NAME")
if AWS_STORAGE_BUCKET_NAME:
    _default_storage: dict[str, object] = {
        "BACKEND": "annotation_qc.core.storage.ObjectStorage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env("AWS_S3_ENDPOINT_URL", default="") or None,
            "public_endpoint_url": env("AWS_S3_PUBLIC_ENDPOINT_URL", default="") or None,
            "region_name": env("AWS_S3_REGION_NAME", default="") or None,
            "access_key": env("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env("AWS_SECRET_ACCESS_KEY", default="") or None,
            "addressing_style": env("AWS_S3_ADDRESSING_STYLE", default="") or None,
            "location": env("AWS_LOCATION", default=""),
            "default_acl": None,
            "querystring_auth": True,
        },
    }
elif any(env(name, default="") for name in _S3_SETTINGS):
    raise ImproperlyConfigured(
        "AWS_S3_* settings are given but AWS_STORAGE_BUCKET_NAME is not: set the bucket (files would "
        "otherwise stay on this machine's disk)"
    )
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Bounded request size: a 500-box annotation is ~40 KB; a 10,000-item import a few MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=16 * 1024 * 1024)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "annotation_qc.accounts.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "annotation_qc.core.schema.ApiSchema",
    "EXCEPTION_HANDLER": "annotation_qc.core.exceptions.api_exception_handler",
    # JSON bodies: size and depth limits before parsing, finite numbers, no NUL (core/parsers.py).
    # The schema documents JSON bodies (multipart where files are uploaded: imports); forms still parse.
    "DEFAULT_PARSER_CLASSES": [
        "annotation_qc.core.parsers.LimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "annotation_qc.core.negotiation.JsonFallbackNegotiation",
    "DEFAULT_THROTTLE_RATES": {
        "login": env("LOGIN_THROTTLE_RATE", default="20/min"),
        # Per user, on writes (annotation_qc/core/throttles.py): 429 with Retry-After past the rate.
        "annotator_loop": env("AQC_ANNOTATOR_RATE", default="600/min"),
        "job_start": env("AQC_JOB_START_RATE", default="30/min"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "annotation-qc API",
    "DESCRIPTION": "Annotation quality control: dispatch, linters, benchmarks, agreement, prioritisation.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and ReDoc come from drf-spectacular-sidecar's static files: no CDN, the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Every integer path parameter is an ``<id:...>`` (annotation_qc.core.converters): a positive bigint.
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "format": "int64", "minimum": 1, "maximum": 2**63 - 1}
    },
}

# Celery: with no broker the tasks run eagerly, in-process (the embedded default). `make run` instead
# starts a real worker on kombu's file-system transport, which needs no server.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=REDIS_URL or None)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=CELERY_BROKER_URL == "memory://")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_TIMEOUT = 1
# A request that enqueues work must not hang while the broker is down: one quick retry, then the
# periodic sweeps take over (see annotation_qc.core.queue).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
if CELERY_BROKER_URL.startswith("filesystem://"):
    # The broker's folders (``.celery`` in the checkout unless AQC_CELERY_FOLDER says otherwise).
    _folder = Path(env("AQC_CELERY_FOLDER", default=str(BASE_DIR / ".celery")))
    _queue = _folder / "queue"
    # Chords (prioritisation fans out over chunks) need a result backend; files serve here too.
    CELERY_RESULT_BACKEND = CELERY_RESULT_BACKEND or f"file://{_folder / 'results'}"
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(_queue),
        "data_folder_out": str(_queue),
        "processed_folder": str(_folder / "processed"),
        "control_folder": str(_folder / "control"),
        "store_processed": False,
    }
else:
    # A message whose worker died unacknowledged (acks late) is redelivered after visibility_timeout
    # seconds; the environment can tune it (and kombu's restore sweep) as JSON, e.g.
    # CELERY_BROKER_TRANSPORT_OPTIONS='{"visibility_timeout": 600}'.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        **env.json("CELERY_BROKER_TRANSPORT_OPTIONS", default={}),
    }
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "leases-sweep": {"task": "labeling.leases_sweep", "schedule": 60.0},
    "image-previews": {"task": "labeling.previews_sweep", "schedule": 600.0},
    "lint-profiles": {"task": "linting.profiles_refresh_stale", "schedule": 300.0},
    "prioritize-on-new-labels": {"task": "prioritization.schedule", "schedule": 300.0},
    "agreement-reports": {"task": "agreement.reports_due", "schedule": 900.0},
    "consensus-sweep": {"task": "agreement.consensus_sweep", "schedule": 300.0},
    "alerts-check": {"task": "alerts.check_all", "schedule": 300.0},
    "label-errors-after-labeling": {"task": "review.label_errors_due", "schedule": 900.0},
    "data-retention": {"task": "datahealth.retention_sweep", "schedule": 3600.0},
    "review-sweep": {"task": "review.sweep", "schedule": 300.0},
    "unscored-benchmarks-sweep": {"task": "workflow.unscored_benchmarks_sweep", "schedule": 300.0},
    "gold-pools-grow": {"task": "workflow.gold_pools_grow", "schedule": 600.0},
    # Jobs whose worker died (no heartbeat for JOB_STALE_SECONDS): retried, then failed with a message.
    "jobs-watchdog": {
        "task": "core.jobs_watchdog",
        "schedule": env.float("AQC_JOB_WATCHDOG_SECONDS", default=60.0),
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "annotation_qc.core.logging.JsonFormatter"},
    },
    "filters": {"request_id": {"()": "annotation_qc.core.middleware.RequestIdFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["request_id"]}
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# annotation-qc defaults
ANNOTATION_QC = {
    "DEFAULT_LEASE_SECONDS": env.int("DEFAULT_LEASE_SECONDS", default=1800),
    # Tokens, memberships and project settings cached in Redis for every process (invalidated on
    # change; see annotation_qc.core.shared_cache): the longest an entry lives.
    "SHARED_CACHE_SECONDS": env.int("SHARED_CACHE_SECONDS", default=120),
    "MAX_ITEMS_PER_IMPORT": 10_000,
    # Open items per prioritisation chunk (one Celery task each).
    "PRIORITY_CHUNK_ITEMS": env.int("PRIORITY_CHUNK_ITEMS", default=50_000),
    # Webhooks and images fetched by URL may reach private, loopback and link-local addresses
    # (annotation_qc/core/outbound.py): for development against local receivers, never in production.
    "OUTBOUND_ALLOW_PRIVATE": env.bool("AQC_OUTBOUND_ALLOW_PRIVATE", default=False),
    # Images fetched by URL during an import: seconds per request, and requests at once.
    "IMPORT_FETCH_TIMEOUT_SECONDS": env.float("AQC_IMPORT_FETCH_TIMEOUT_SECONDS", default=15.0),
    "IMPORT_FETCH_CONCURRENCY": env.int("AQC_IMPORT_FETCH_CONCURRENCY", default=8),
    # Processes per import job that decode and measure its images (data health) beside it; 0: in the job's
    # own process. Imports of fewer images measure in their own process.
    "IMPORT_MEASURE_WORKERS": env.int("AQC_IMPORT_MEASURE_WORKERS", default=1),
    "IMPORT_MEASURE_POOL_MIN_IMAGES": env.int("AQC_IMPORT_MEASURE_POOL_MIN_IMAGES", default=1000),
    # Presigned URLs of stored files (images, exports) live this long; every request makes a new one.
    "STORAGE_URL_EXPIRE_SECONDS": env.int("AQC_STORAGE_URL_EXPIRE_SECONDS", default=300),
    # Bucket sources: every Nth sync of a source lists its whole prefix (a full rescan), so keys added
    # before a flat prefix's cursor are found without anyone asking; 0: only when a manager asks.
    "SOURCE_FULL_RESCAN_EVERY": env.int("AQC_SOURCE_FULL_RESCAN_EVERY", default=10),
    # Direct uploads to the bucket (presigned POST) must start within this many seconds.
    "DIRECT_UPLOAD_EXPIRE_SECONDS": env.int("AQC_DIRECT_UPLOAD_EXPIRE_SECONDS", default=3600),
    # Crash-safe jobs (annotation_qc/core/jobs.py): a running job beats every JOB_HEARTBEAT_SECONDS; the
    # watchdog retries one silent for JOB_STALE_SECONDS (its worker died) up to JOB_MAX_ATTEMPTS starts.
    "JOB_HEARTBEAT_SECONDS": env.float("AQC_JOB_HEARTBEAT_SECONDS", default=10.0),
    "JOB_STALE_SECONDS": env.float("AQC_JOB_STALE_SECONDS", default=120.0),
    "JOB_MAX_ATTEMPTS": env.int("AQC_JOB_MAX_ATTEMPTS", default=3),
    # Load shedding (annotation_qc/core/overload.py): a request is answered 503 with Retry-After (1-2x
    # SHED_RETRY_AFTER_SECONDS) when the wait for a web worker is over SHED_QUEUE_MS: measured (gthread
    # workers via config/gunicorn.py, or a proxy's X-Request-Start with SHED_TRUST_REQUEST_START), or
    # estimated from the connections waiting to be accepted (sync workers), which may also number at
    # most SHED_BACKLOG. 0 turns one off. Submits and skips are shed only past SHED_FINISH_FACTOR x both.
    "SHED_BACKLOG": env.int("AQC_SHED_BACKLOG", default=128),
    "SHED_QUEUE_MS": env.float("AQC_SHED_QUEUE_MS", default=1000.0),
    "SHED_FINISH_FACTOR": env.float("AQC_SHED_FINISH_FACTOR", default=2.0),
    "SHED_RETRY_AFTER_SECONDS": env.int("AQC_SHED_RETRY_AFTER", default=1),
    "SHED_TRUST_REQUEST_START": env.bool("AQC_SHED_TRUST_REQUEST_START", default=False),
    # Per kind of job, the heartbeat window and the longest one attempt may run, over the kinds' own
    # (core.jobs.JobKind), as JSON: '{"prioritize": {"stale_seconds": 900, "deadline_seconds": 7200}}'.
    "JOB_WINDOWS": env.json("AQC_JOB_WINDOWS", default={}),
    # JSON bodies nested deeper than this are refused before parsing (annotation_qc/core/parsers.py).
    "JSON_MAX_DEPTH": env.int("AQC_JSON_MAX_DEPTH", default=64),
}
