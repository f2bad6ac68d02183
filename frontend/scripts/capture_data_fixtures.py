"""Capture the Data and Alerts pages' test fixtures from the real back end.

Runs on a throwaway database (never the development one): it migrates it, loads the demo, lets the
three demo annotators work through the shapes project, then calls the REST API as the demo manager
(and the ML engineer) and writes each response to ``frontend/src/test/fixtures/<name>.json``::

    DATABASE_URL=sqlite:////tmp/capture.sqlite3 MEDIA_ROOT=/tmp/capture-media \\
        .venv/bin/python frontend/scripts/capture_data_fixtures.py

Timestamps, ids and hashes are the server's own; nothing is edited by hand.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "frontend" / "src" / "test" / "fixtures"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

if "capture" not in os.environ.get("DATABASE_URL", ""):
    sys.exit("Set DATABASE_URL to a throwaway database whose name contains 'capture' (see the docstring).")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

settings.ALLOWED_HOSTS = ["testserver"]  # DRF's test client

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from annotation_qc.accounts.models import User  # noqa: E402
from annotation_qc.core.exceptions import ServiceError  # noqa: E402
from annotation_qc.demo.loader import SHAPES_PROJECT, demo_load  # noqa: E402
from annotation_qc.workflow.dispatch_pipeline import task_next  # noqa: E402
from annotation_qc.workflow.submit_pipeline import annotation_submit  # noqa: E402
from annotation_qc.projects.models import Project  # noqa: E402


def save(name: str, body: Any) -> Any:
    FIXTURES.mkdir(parents=True, exist_ok=True)
    (FIXTURES / f"{name}.json").write_text(json.dumps(body, indent=1, ensure_ascii=False) + "\n")
    print(f"  {name}.json")
    return body


def call(client: APIClient, method: str, path: str, expect: int, **kwargs: Any) -> Any:
    response = getattr(client, method)(f"/api/v1{path}", **kwargs)
    body = response.json() if response.content and response.get("Content-Type", "").endswith("json") else None
    if response.status_code != expect:
        raise SystemExit(f"{method.upper()} {path}: {response.status_code} (wanted {expect}): {body}")
    return body


def simulate_work(project: Project) -> None:
    """The annotators take tasks in turn: 1 and 2 keep the model's boxes, 3 drops the last one."""
    annotators = list(
        User.objects.filter(username__in=["annotator1", "annotator2", "annotator3"]).order_by("id")
    )
    for _ in range(24):
        for annotator in annotators:
            task = task_next(project=project, annotator_id=annotator.pk)
            if task is None:
                continue
            boxes = list((task.pre_annotation or {}).get("boxes", []))
            if annotator.username == "annotator3" and len(boxes) > 1:
                boxes = boxes[:-1]
            try:
                annotation_submit(
                    task_id=task.pk, annotator_id=annotator.pk, payload={"boxes": boxes}, client_time_ms=6000
                )
            except ServiceError:
                annotation_submit(
                    task_id=task.pk, annotator_id=annotator.pk, payload={"boxes": []}, client_time_ms=6000
                )


class Receiver(BaseHTTPRequestHandler):
    """A webhook receiver on 127.0.0.1: 200 for every alert."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


MALFORMED_COCO = {
    "images": [
        {"id": 1, "file_name": "a.png", "width": 640, "height": 480},
        {"id": 2, "file_name": "b.png", "width": "wide", "height": 480},
    ],
    "categories": [{"id": 1, "name": "circle"}, {"id": 2, "name": "hexagon"}],
    "annotations": [
        {"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 50, 40]},
        {"id": 2, "image_id": 1, "category_id": 1, "bbox": [600, 10, 80, 40]},
        {"id": 3, "image_id": 9, "category_id": 1, "bbox": [10, 10, 5, 5]},
    ],
}

#: A 1x1 PNG.
PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf00000301010018dd8db00000000049454e44ae426082"
)

ITEMS_CSV = (
    "external_id,image_url,width,height\n"
    "upload-0001,https://example.org/img/0001.png,640,480\n"
    "upload-0002,https://example.org/img/0002.png,640,480\n"
)


def main() -> None:
    call_command("migrate", verbosity=0)
    demo_load(digits=20, scenes=40)
    project = Project.objects.get(name=SHAPES_PROJECT)
    simulate_work(project)
    manager = APIClient()
    manager.force_authenticate(User.objects.get(username="manager"))
    ml = APIClient()
    ml.force_authenticate(User.objects.get(username="mlteam"))
    p = f"/projects/{project.pk}"
    print(f"Fixtures of project {project.pk} ({project.name}):")

    # --- exports
    call(manager, "post", f"{p}/agreement/compute/", 202)
    call(manager, "post", f"{p}/prioritize/", 202, data={"strategy": "least_confidence"}, format="json")
    save("export-start", call(manager, "post", f"{p}/exports/", 202, data={"format": "jsonl"}, format="json"))
    coco = call(
        manager,
        "post",
        f"{p}/exports/",
        202,
        data={"format": "coco", "include_raw": True, "include_gold": True},
        format="json",
    )
    save("job-export", call(manager, "get", f"/jobs/{coco['job_id']}/", 200))
    save("exports", call(manager, "get", f"{p}/exports/", 200))
    save("export-detail", call(manager, "get", f"/exports/{coco['export_id']}/", 200))
    digits = Project.objects.exclude(pk=project.pk).get()
    save(
        "export-coco-400",
        call(manager, "post", f"/projects/{digits.pk}/exports/", 400, data={"format": "coco"}, format="json"),
    )

    # --- imports: a good CSV of items, a malformed COCO file (rejected), request errors
    good = call(
        manager,
        "post",
        f"{p}/imports/",
        202,
        data={"format": "csv", "as": "items", "file": SimpleUploadedFile("items.csv", ITEMS_CSV.encode())},
        format="multipart",
    )
    save("job-import", call(manager, "get", f"/jobs/{good['job_id']}/", 200))
    bad = save(
        "import-start",
        call(
            manager,
            "post",
            f"{p}/imports/",
            202,
            data={
                "format": "coco",
                "as": "gold",
                "file": SimpleUploadedFile("broken.json", json.dumps(MALFORMED_COCO).encode()),
            },
            format="multipart",
        ),
    )
    save("job-import-rejected", call(manager, "get", f"/jobs/{bad['job_id']}/", 200))
    save("imports", call(manager, "get", f"{p}/imports/", 200))
    save(
        "import-400-model-version",
        call(
            manager,
            "post",
            f"{p}/imports/",
            400,
            data={"format": "jsonl", "as": "predictions", "file": SimpleUploadedFile("p.jsonl", b"{}\n")},
            format="multipart",
        ),
    )
    save(
        "import-403-gold",
        call(
            ml,
            "post",
            f"{p}/imports/",
            403,
            data={"format": "jsonl", "as": "gold", "file": SimpleUploadedFile("g.jsonl", b"{}\n")},
            format="multipart",
        ),
    )

    save(
        "import-400-images",
        call(
            manager,
            "post",
            f"{p}/imports/",
            400,
            data={
                "format": "images",
                "as": "items",
                "images": [
                    SimpleUploadedFile("ok.png", PNG_1X1, content_type="image/png"),
                    SimpleUploadedFile("notes.png", b"not an image at all", content_type="image/png"),
                ],
            },
            format="multipart",
        ),
    )
    limits = settings.ANNOTATION_QC
    settings.ANNOTATION_QC = {**limits, "IMPORT_MAX_UPLOAD_BYTES": 200}
    save(
        "import-413",
        call(
            manager,
            "post",
            f"{p}/imports/",
            413,
            data={"format": "csv", "file": SimpleUploadedFile("big.csv", ITEMS_CSV.encode() * 4)},
            format="multipart",
        ),
    )
    settings.ANNOTATION_QC = limits

    # --- alert rules, webhooks, alerts
    save("alert-rule-kinds", call(manager, "get", f"{p}/alert-rules/kinds/", 200))
    save(
        "alert-rule-400",
        call(
            manager,
            "post",
            f"{p}/alert-rules/",
            400,
            data={"kind": "agreement_below", "params": {"threshold": 1.5}},
            format="json",
        ),
    )
    save(
        "alert-rule-400-whole",
        call(
            manager,
            "post",
            f"{p}/alert-rules/",
            400,
            data={"kind": "agreement_below", "params": {"min_items": 2.5}},
            format="json",
        ),
    )
    save(
        "webhook-400-url",
        call(manager, "post", f"{p}/webhooks/", 400, data={"url": "http://intranet/hook"}, format="json"),
    )
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    call(
        manager,
        "post",
        f"{p}/webhooks/",
        201,
        data={
            "url": f"http://127.0.0.1:{server.server_port}/hook",
            "name": "Team channel",
            "secret": "s3cret",
        },
        format="json",
    )
    save(
        "webhook-create",
        call(
            manager,
            "post",
            f"{p}/webhooks/",
            201,
            data={"url": "http://127.0.0.1:9/unreachable", "name": "Old receiver"},
            format="json",
        ),
    )
    call(
        manager,
        "post",
        f"{p}/alert-rules/",
        201,
        data={
            "kind": "agreement_below",
            "params": {"threshold": 0.95, "min_items": 1},
            "severity": "critical",
        },
        format="json",
    )
    dry = save(
        "alert-rule-create",
        call(
            manager,
            "post",
            f"{p}/alert-rules/",
            201,
            data={"kind": "queue_dry", "name": "Queue running low", "params": {"max_open_slots": 100000}},
            format="json",
        ),
    )
    call(
        manager,
        "post",
        f"{p}/alert-rules/",
        201,
        data={"kind": "lint_error_rate_above", "enabled": False},
        format="json",
    )
    save("alerts-check", call(manager, "post", f"{p}/alerts/check/", 200))
    # The queue rule's condition clears: its alert is resolved on the next check.
    call(
        manager,
        "patch",
        f"{p}/alert-rules/{dry['id']}/",
        200,
        data={"params": {"max_open_slots": 0}},
        format="json",
    )
    save("alerts-check-resolved", call(manager, "post", f"{p}/alerts/check/", 200))
    alerts = call(manager, "get", f"{p}/alerts/", 200)
    call(manager, "post", f"{p}/alerts/{alerts['results'][0]['id']}/acknowledge/", 200)
    save("alerts-all", call(manager, "get", f"{p}/alerts/", 200, data={"status": "all"}))
    save("alert-rules", call(manager, "get", f"{p}/alert-rules/", 200))
    hooks = save("webhooks", call(manager, "get", f"{p}/webhooks/", 200))
    for hook in hooks:
        save(
            f"webhook-deliveries-{'ok' if hook['has_secret'] else 'failing'}",
            call(manager, "get", f"{p}/webhooks/{hook['id']}/deliveries/", 200),
        )
    server.shutdown()


if __name__ == "__main__":
    main()
