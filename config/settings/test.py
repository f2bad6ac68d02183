"""Test settings: fast hashing, eager Celery unless a test starts a real worker."""

from config.settings.base import *  # noqa: F403
from config.settings.base import LOGGING

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = None
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
LOGGING["root"]["level"] = "WARNING"  # type: ignore[index]
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {  # noqa: F405
    "login": "10000/min",
    "annotator_loop": "100000/min",
    "job_start": "100000/min",
}
# Tests run webhook receivers and image servers on 127.0.0.1; the guard's own tests switch this off.
ANNOTATION_QC["OUTBOUND_ALLOW_PRIVATE"] = True  # noqa: F405
# Files on the local disk (a temporary MEDIA_ROOT per test) unless a test switches to the moto bucket.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
