"""Content negotiation that never answers 406, and refuses an unknown ``?format=`` with a 400 naming it.

The API speaks JSON; files (images, exports) are streamed past the renderers. A client that asks for
something else (an ``<img>`` sends ``Accept: image/*``) still gets the file, or the JSON error, rather
than 406 Not Acceptable. ``?format=`` picks a renderer by name (``csv`` where a list offers it); a name
no renderer of the endpoint has, or an empty one, is a 400 rather than DRF's 404 or silent default.
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import NotAcceptable, ValidationError
from rest_framework.negotiation import DefaultContentNegotiation


class JsonFallbackNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request: Any, renderers: Any, format_suffix: Any = None) -> Any:
        name = self.settings.URL_FORMAT_OVERRIDE
        wanted = request.query_params.get(name) if name else None
        known = sorted({renderer.format for renderer in renderers})
        if wanted is not None and not format_suffix and wanted not in known:
            raise ValidationError({name: [f"must be one of {', '.join(known)}"]})
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            renderer = renderers[0]
            return renderer, renderer.media_type
