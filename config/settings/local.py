"""Local development: the embedded default (SQLite, eager Celery) unless the environment says otherwise."""

from config.settings.base import *  # noqa: F403
from config.settings.base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
ANNOTATION_QC["OUTBOUND_ALLOW_PRIVATE"] = env.bool("AQC_OUTBOUND_ALLOW_PRIVATE", default=True)  # noqa: F405
