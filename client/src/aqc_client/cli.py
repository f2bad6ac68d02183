"""``aqc``: the command line over the client (``aqc --help``).

The server and credentials come from ``--url``/``--token`` or ``AQC_URL``/``AQC_TOKEN``
(or ``AQC_USERNAME``/``AQC_PASSWORD``).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from aqc_client.client import Client
from aqc_client.errors import APIError, AQCError, JobFailed
from aqc_client.progress import JobProgress

SCORECARD_COLUMNS = [
    "user_id",
    "username",
    "status",
    "tasks_done",
    "benchmarks.n",
    "benchmarks.accuracy",
    "benchmarks.low",
    "benchmarks.high",
    "lint_finding_rate",
    "agreement",
]


def _client(args: argparse.Namespace) -> Client:
    url = args.url or os.environ.get("AQC_URL") or "http://127.0.0.1:8000"
    token = args.token or os.environ.get("AQC_TOKEN") or None
    username = os.environ.get("AQC_USERNAME") or None
    password = os.environ.get("AQC_PASSWORD") or None
    return Client(
        url, token=token, username=None if token else username, password=password, timeout=args.timeout
    )


def _dig(row: dict[str, Any], dotted: str) -> Any:
    value: Any = row
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def cmd_login(args: argparse.Namespace) -> int:
    client = Client(args.url or os.environ.get("AQC_URL") or "http://127.0.0.1:8000", timeout=args.timeout)
    password = args.password or os.environ.get("AQC_PASSWORD")
    if not password:
        import getpass

        password = getpass.getpass(f"password for {args.username}: ")
    print(client.login(args.username, password, token_name=args.name))
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    client = _client(args)
    progress = None if args.quiet else JobProgress(f"import {os.path.basename(args.file)}")
    try:
        done = client.import_file(
            args.project,
            args.file,
            format=args.format,
            as_=args.as_,
            model_version=args.model_version,
            copy_images=args.copy_images,
            images=args.images or (),
            on_progress=progress,
        )
    except JobFailed as exc:
        report = exc.job.get("result") or {}
        print(f"import rejected: {exc.job.get('message')}", file=sys.stderr)
        for row in (report.get("rejected") or [])[:50]:
            print(f"  {row.get('row')}: {row.get('reason')}", file=sys.stderr)
        return 1
    print(json.dumps(done.get("report"), indent=2, sort_keys=True))
    return 0


def cmd_queue(args: argparse.Namespace) -> int:
    client = _client(args)
    writer = csv.writer(sys.stdout) if args.output == "csv" else None
    if writer:
        writer.writerow(["item_id", "external_id", "score", "open_slots"])
    for count, entry in enumerate(client.queue(args.project, page_size=min(args.limit or 1000, 1000))):
        if args.limit and count >= args.limit:
            break
        if writer:
            writer.writerow(
                [entry.get("item_id"), entry.get("external_id"), entry.get("score"), entry.get("open_slots")]
            )
        else:
            print(json.dumps(entry, sort_keys=True))
    return 0


def cmd_prioritize(args: argparse.Namespace) -> int:
    client = _client(args)
    progress = None if args.quiet or not args.wait else JobProgress("prioritise")
    job = client.prioritize(args.project, strategy=args.strategy, wait=args.wait, on_progress=progress)
    print(
        json.dumps(
            {"job_id": job.get("id"), "status": job.get("status"), "result": job.get("result")},
            sort_keys=True,
        )
    )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    client = _client(args)
    progress = None if args.quiet else JobProgress(f"export {args.format}")
    path = client.export(
        args.project,
        args.format,
        args.output,
        include_raw=args.include_raw,
        include_gold=args.include_gold,
        on_progress=progress,
    )
    print(path)
    return 0


def cmd_scorecards(args: argparse.Namespace) -> int:
    rows = _client(args).scorecards(args.project)
    if args.output == "json":
        print(json.dumps(rows, indent=2, sort_keys=True))
        return 0
    writer = csv.writer(sys.stdout)
    writer.writerow(SCORECARD_COLUMNS)
    for row in rows:
        writer.writerow([_dig(row, column) for column in SCORECARD_COLUMNS])
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="aqc", description="annotation-qc from the command line.")
    top.add_argument("--url", help="server root (default $AQC_URL or http://127.0.0.1:8000)")
    top.add_argument("--token", help="API token (default $AQC_TOKEN)")
    top.add_argument("--timeout", type=float, default=60.0, help="seconds per request (default 60)")
    top.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    sub = top.add_subparsers(dest="command", required=True)

    login = sub.add_parser("login", help="print a new API token for a username and password")
    login.add_argument("username")
    login.add_argument("--password", help="default $AQC_PASSWORD, else asked")
    login.add_argument("--name", default="aqc-cli", help="the token's name")
    login.set_defaults(run=cmd_login)

    imp = sub.add_parser("import", help="import a COCO / Label Studio / CSV / JSONL file or a zip")
    imp.add_argument("project", type=int)
    imp.add_argument("file")
    imp.add_argument("--format", choices=["coco", "label_studio", "csv", "jsonl", "images"])
    imp.add_argument("--as", dest="as_", default="items", choices=["items", "gold", "predictions"])
    imp.add_argument("--model-version")
    imp.add_argument("--copy-images", action="store_true")
    imp.add_argument("--images", nargs="*", help="image files to upload with the annotation file")
    imp.set_defaults(run=cmd_import)

    queue = sub.add_parser("queue", help="the prioritised queue, best first")
    queue.add_argument("project", type=int)
    queue.add_argument("--limit", type=int, default=0, help="at most this many rows (default all)")
    queue.add_argument("--output", choices=["jsonl", "csv"], default="jsonl")
    queue.set_defaults(run=cmd_queue)

    prio = sub.add_parser("prioritize", help="start a prioritisation run")
    prio.add_argument("project", type=int)
    prio.add_argument("--strategy")
    prio.add_argument("--wait", action="store_true", help="wait for the run to finish")
    prio.set_defaults(run=cmd_prioritize)

    exp = sub.add_parser("export", help="export, wait, download and verify the sha256")
    exp.add_argument("project", type=int)
    exp.add_argument("--format", required=True, choices=["coco", "label_studio", "csv", "jsonl"])
    exp.add_argument("-o", "--output", required=True, help="file to write")
    exp.add_argument("--include-raw", action="store_true")
    exp.add_argument("--include-gold", action="store_true")
    exp.set_defaults(run=cmd_export)

    cards = sub.add_parser("scorecards", help="annotator scorecards")
    cards.add_argument("project", type=int)
    cards.add_argument("--output", choices=["csv", "json"], default="csv")
    cards.set_defaults(run=cmd_scorecards)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.run(args))
    except APIError as exc:
        print(f"aqc: {exc}", file=sys.stderr)
        return 2
    except AQCError as exc:
        print(f"aqc: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
