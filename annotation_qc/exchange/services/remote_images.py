"""Images given by URL in an imported file: downloaded (to measure them, or to keep a copy) by the job.

Downloads go through the outbound guard (no internal addresses, on every redirect hop), are capped
at the import's image-size limit while reading, and run a few at a time in threads: the job waits
on the network, not on the CPU.
"""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from annotation_qc.core import outbound
from annotation_qc.exchange.limits import ImportLimits

USER_AGENT = "annotation-qc-import/1"
_OPENER = outbound.build_opener(follow_redirects=True)


def image_fetch(url: str, *, max_bytes: int, timeout: float) -> bytes | str:
    """The body at ``url``, or why it could not be had (HTTP status, network error, too large, refused)."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "image/*"})
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            declared = response.headers.get("Content-Length")
            if declared is not None and declared.isdigit() and int(declared) > max_bytes:
                return f"{declared} bytes; images may have at most {max_bytes}"
            content: bytes = response.read(max_bytes + 1)
    except urllib.error.HTTPError as exc:
        return f"the server answered HTTP {exc.code} {exc.reason}"
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, outbound.BlockedAddress):
            return f"refused: {reason}"
        return f"could not be downloaded ({type(reason).__name__}: {reason})"
    except (http.client.HTTPException, OSError, ValueError) as exc:  # timeouts while reading, bad IDNA
        return f"could not be downloaded ({type(exc).__name__}: {exc})"
    if len(content) > max_bytes:
        return f"more than {max_bytes} bytes; images may have at most {max_bytes}"
    return content


def images_fetch(urls: Iterable[str], *, limits: ImportLimits) -> dict[str, bytes | str]:
    """Every distinct URL's body or problem, downloaded ``limits.fetch_concurrency`` at a time."""
    distinct = list(dict.fromkeys(urls))
    if not distinct:
        return {}
    max_bytes, timeout = limits.max_image_bytes, limits.fetch_timeout_seconds
    with ThreadPoolExecutor(max_workers=min(limits.fetch_concurrency, len(distinct))) as pool:
        bodies = pool.map(lambda url: image_fetch(url, max_bytes=max_bytes, timeout=timeout), distinct)
        return dict(zip(distinct, bodies, strict=True))
