"""A moto S3 server in its own process for bench/bucket_sync.py, filled without HTTP.

Run by the bench, not by hand: prints the endpoint, then reads commands on stdin, one a line:
``fill START COUNT FOLDERS`` puts COUNT small PNG keys (numbered from START, spread over FOLDERS
folders, none when 0) straight into moto's backend and rewrites the manifest of every key so far,
then prints ``ok``; ``quit`` stops the server. Its own process, so moto's work does not share the
bench's interpreter lock, as a real store would not.
"""

from __future__ import annotations

import io
import json
import logging
import sys

PREFIX = "frames/"
BUCKET = "bench-frames"


def key_of(i: int, folders: int) -> str:
    return f"{PREFIX}cam{i % folders:02d}/{i:08d}.png" if folders else f"{PREFIX}{i:08d}.png"


def main() -> None:
    import boto3
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends
    from moto.server import ThreadedMotoServer
    from PIL import Image

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id="a", aws_secret_access_key="b", region_name="us-east-1"
    ).create_bucket(Bucket=BUCKET)
    backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 30, 30)).save(buffer, format="PNG")
    image = buffer.getvalue()
    lines: list[str] = []
    print(endpoint, flush=True)
    for command in sys.stdin:
        parts = command.split()
        if not parts or parts[0] == "quit":
            break
        start, count, folders = (int(p) for p in parts[1:4])
        for i in range(start, start + count):
            key = key_of(i, folders)
            backend.put_object(BUCKET, key, image)
            lines.append(json.dumps({"key": key[len(PREFIX) :], "width": 64, "height": 48}))
        # The manifest, outside the prefix, lists every image with its size.
        backend.put_object(BUCKET, "manifests/frames.jsonl", "\n".join(lines).encode())
        print("ok", flush=True)
    server.stop()


if __name__ == "__main__":
    main()
