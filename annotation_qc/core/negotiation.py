"""Content negotiation that never answers 406.

The API speaks JSON; files (images, exports) are streamed past the renderers. A client that asks for
something else (an ``<img>`` sends ``Accept: image/*``) still gets the file, or the JSON error, rather
than 406 Not Acceptable.
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation


class JsonFallbackNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request: Any, renderers: Any, format_suffix: Any = None) -> Any:
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            renderer = renderers[0]
            return renderer, renderer.media_type
