"""The Celery application.

With no broker configured (the embedded default) tasks run eagerly in the calling
process, so ``make run`` needs neither Redis nor a worker.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("annotation_qc")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
