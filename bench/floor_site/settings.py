"""Production settings with the floor endpoint's URLconf (``bench/floor.py`` serves this)."""

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "floor_site.urls"
