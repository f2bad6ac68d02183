"""The floor endpoint for ``bench/floor.py``: the app's settings and URLs plus one bare view."""
