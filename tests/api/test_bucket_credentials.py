"""Wrong credentials against an S3 server that checks them: moto's server with IAM authentication on.

moto checks nothing by default; its ``/moto-api/reset-auth`` turns on IAM authentication (every
request signed with a known access key and the right secret, the key's policy allowing the action)
for the whole server, so the fixture turns it on for one test and off again. A bucket source with a
wrong secret or an unknown key gets real 403s (``SignatureDoesNotMatch``, ``InvalidAccessKeyId``)
from the server, and the sync must fail naming the bucket, with nothing imported.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import numpy as np
import pytest
import requests
from botocore.exceptions import ClientError

from annotation_qc.exchange.models import BucketSource
from annotation_qc.labeling.models import Item
from tests.api.conftest import World
from tests.api.test_bucket_sources import create, picture, source_body, sync
from tests.s3 import REGION, MotoServer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

ALLOW_S3 = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}


@pytest.fixture
def enforcing(moto_server: MotoServer) -> Iterator[tuple[str, dict[str, str]]]:
    """A bucket with two images, and an IAM user allowed to read it; IAM authentication on."""
    client = moto_server.client()
    bucket = f"locked-{np.random.default_rng().integers(1 << 40):x}"
    client.create_bucket(Bucket=bucket)
    client.put_object(Bucket=bucket, Key="shots/a.png", Body=picture(12, 10, 1))
    client.put_object(Bucket=bucket, Key="shots/b.png", Body=picture(14, 10, 2))
    iam = boto3.client(
        "iam",
        endpoint_url=moto_server.endpoint,
        region_name=REGION,
        aws_access_key_id="x",
        aws_secret_access_key="y",
    )
    name = f"reader-{bucket}"
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="read", PolicyDocument=json.dumps(ALLOW_S3))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    switch = f"{moto_server.endpoint}/moto-api/reset-auth"
    assert requests.post(switch, data=b"0", timeout=10).status_code == 200
    try:
        yield bucket, {"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}
    finally:
        requests.post(switch, data=b"inf", timeout=10)


def test_the_server_really_refuses_a_wrong_secret(moto_server: MotoServer, enforcing: Any) -> None:
    bucket, good = enforcing
    wrong = boto3.client(
        "s3",
        endpoint_url=moto_server.endpoint,
        region_name=REGION,
        aws_access_key_id=good["access_key_id"],
        aws_secret_access_key="not-the-secret",
    )
    with pytest.raises(ClientError) as refused:
        wrong.list_objects_v2(Bucket=bucket)
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


@pytest.mark.parametrize(
    ("credentials", "code"),
    [
        ({"secret_access_key": "not-the-secret"}, "SignatureDoesNotMatch"),
        ({"access_key_id": "AKIANOSUCHKEY0000000", "secret_access_key": "x"}, "InvalidAccessKeyId"),
    ],
)
def test_wrong_credentials_fail_the_sync_naming_the_bucket_and_import_nothing(
    world: World,
    capture: Any,
    moto_server: MotoServer,
    enforcing: Any,
    credentials: dict[str, str],
    code: str,
) -> None:
    bucket, good = enforcing
    before = Item.objects.count()
    source = create(world, source_body(moto_server, bucket, **{**good, **credentials}))
    done = sync(world, capture, source["id"])
    assert done["status"] == "failed"
    assert (
        done["message"] == f"bucket {bucket} (prefix shots/): access refused ({code}): check the credentials"
    )
    assert Item.objects.count() == before
    assert BucketSource.objects.get(pk=source["id"]).cursor == ""

    # The same bucket with the right key: the refusal was about the credentials, not the server.
    fixed = create(world, {**source_body(moto_server, bucket, **good), "name": "right"})
    fixed_done = sync(world, capture, fixed["id"])
    assert fixed_done["result"]["created"] == 2, (fixed_done["message"], fixed_done["result"])


def test_an_image_whose_bucket_refuses_the_credentials_is_unavailable_not_an_error_page(
    world: World, capture: Any, moto_server: MotoServer, enforcing: Any
) -> None:
    bucket, good = enforcing
    source = create(world, source_body(moto_server, bucket, **good))
    assert sync(world, capture, source["id"])["result"]["created"] == 2
    BucketSource.objects.filter(pk=source["id"]).update(access_key_id="AKIANOSUCHKEY0000000")  # revoked key
    item = Item.objects.get(project=world.project, external_id="a.png")
    response = world.client("manager").get(f"/api/v1/items/{item.pk}/image/")
    assert response.status_code == 503
    assert bucket in response.json()["detail"]
    assert "InvalidAccessKeyId" in response.json()["detail"]
