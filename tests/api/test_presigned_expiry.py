"""A presigned image URL used after it expired, with the files in a bucket on moto's S3 server over HTTP.

AWS S3 and MinIO refuse a presigned URL after ``X-Amz-Date + X-Amz-Expires`` (403 "Request has
expired"); the UI then asks the image API again (``?fresh=N``, see frontend/src/components/freshImage.ts)
and gets a URL signed anew. moto (5.2, server mode) checks neither the signature nor the expiry of a
presigned URL: its request authentication reads only the ``Authorization`` header, and only with IAM
authentication on, so it keeps serving an expired URL. This test therefore checks what the app
controls, over HTTP: the URL's signed window comes from ``STORAGE_URL_EXPIRE_SECONDS``, it has passed
after the wait, and the API then hands out a URL with a new signing time, a new signature and a window
covering now, which the bucket serves. Should moto start enforcing expiry, the fetch of the expired URL
below fails with its 403: assert that instead.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from annotation_qc.labeling.models import Item
from annotation_qc.workflow.dispatch_pipeline import task_next
from tests.api.conftest import World
from tests.api.test_object_storage import coco_with_images, picture
from tests.s3 import Bucket

pytestmark = pytest.mark.django_db

EXPIRES = 1


def signed_window(url: str) -> tuple[datetime, datetime, str]:
    """(signed at, expires at, signature) of a SigV4 presigned URL, from its own query."""
    query = parse_qs(urlsplit(url).query)
    signed_at = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    expires = int(query["X-Amz-Expires"][0])
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    return signed_at, signed_at + timedelta(seconds=expires), query["X-Amz-Signature"][0]


def test_an_expired_image_url_is_replaced_by_asking_the_api_again(
    world: World, capture: Any, s3_bucket: Bucket, settings: Any
) -> None:
    settings.ANNOTATION_QC = {**settings.ANNOTATION_QC, "STORAGE_URL_EXPIRE_SECONDS": EXPIRES}
    coco_with_images(world, capture)
    item = Item.objects.get(project=world.project, external_id="a.png")
    Item.objects.filter(project=world.project).exclude(pk=item.pk).update(open_slots=0)  # a is served next
    task = task_next(project=world.project, annotator_id=world.users["annotator"].pk)
    assert task is not None
    assert task.item_id == item.pk
    annotator = world.client("annotator")

    first = annotator.get(f"/api/v1/images/{item.image_token}/")
    assert first.status_code == 302
    assert first["Cache-Control"] == "private, no-store"  # the browser never reuses a redirect
    url = first["Location"]
    signed_at, expires_at, signature = signed_window(url)
    assert expires_at - signed_at == timedelta(seconds=EXPIRES)
    assert abs(datetime.now(UTC) - signed_at) < timedelta(seconds=30)
    served = requests.get(url, timeout=10)
    assert (served.status_code, served.content) == (200, picture(64, 48, 1))

    time.sleep(max(0.0, (expires_at - datetime.now(UTC)).total_seconds()) + 1.1)
    assert datetime.now(UTC) > expires_at  # past its signed window: S3 and MinIO answer 403
    expired = requests.get(url, timeout=10)
    assert expired.status_code == 200, "moto now refuses expired URLs: assert the 403 here"

    # What the UI does after the failed load: the same image through the API, with a cache-busting query.
    image = f"/api/v1/images/{item.image_token}/"
    for attempt, path in enumerate((f"{image}?fresh=1", f"{image}?size=preview&fresh=2"), start=1):
        again = annotator.get(path)
        assert again.status_code == 302, (attempt, again.content)
        fresh_url = again["Location"]
        fresh_at, fresh_until, fresh_signature = signed_window(fresh_url)
        assert fresh_at > signed_at  # signed anew, after the first one expired
        assert fresh_signature != signature
        assert fresh_until - fresh_at == timedelta(seconds=EXPIRES)
        assert fresh_at <= datetime.now(UTC)  # X-Amz-Date is cut to the second: the window starts now
        assert urlsplit(fresh_url).path == urlsplit(url).path  # the same object
        fetched = requests.get(fresh_url, timeout=10)
        assert (fetched.status_code, fetched.content) == (200, picture(64, 48, 1))

    # The fresh URL goes through the same permission check: another item's token is still refused.
    other = Item.objects.get(project=world.project, external_id="b.png")
    assert annotator.get(f"/api/v1/images/{other.image_token}/?fresh=1").status_code == 404
    assert world.client("anonymous").get(f"/api/v1/images/{item.image_token}/?fresh=1").status_code == 401
