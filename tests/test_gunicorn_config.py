"""The gunicorn config freezes each worker's start-up heap once the app is loaded."""

from __future__ import annotations

import gc
import runpy
from pathlib import Path

CONFIG = Path(__file__).resolve().parent.parent / "config" / "gunicorn.py"


def test_post_worker_init_freezes_the_heap() -> None:
    settings = runpy.run_path(str(CONFIG))
    assert settings["wsgi_app"] == "config.wsgi:application"
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        settings["post_worker_init"](None)
        assert gc.get_freeze_count() > 1000  # the modules, classes and functions loaded so far
    finally:
        gc.unfreeze()
