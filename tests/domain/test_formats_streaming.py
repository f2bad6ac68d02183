"""Writing an export chunk by chunk gives exactly the bytes and counts of rendering it at once."""

import io
import json

import numpy as np
import pytest

from annotation_qc.domain.formats import ExportRecord, RawAnnotation, export_counts, render_export
from annotation_qc.domain.formats.io import ExportTally
from annotation_qc.domain.formats.streaming import write_export

LABELS = ["car", "person", "bike"]
USED = [*LABELS, "zebra", "äpfel"]  # two labels the project no longer has


def records(kind: str, n: int = 40) -> list[ExportRecord]:
    rng = np.random.default_rng(7)

    def payload() -> dict:
        if kind == "classification":
            return {"label": str(rng.choice(USED))}
        return {
            "boxes": [
                {
                    "x": float(rng.uniform(0, 99)),
                    "y": 2.5,
                    "w": 10.0,
                    "h": 20.25,
                    "label": str(rng.choice(USED)),
                }
                for _ in range(int(rng.integers(0, 4)))
            ]
        }

    found = []
    for i in range(n):
        status = str(rng.choice(["consensus", "single", "gold", "unresolved"]))
        raw = tuple(
            RawAnnotation(int(a), payload())
            for a in rng.choice(9, size=int(rng.integers(0, 3)), replace=False)
        )
        url = f"https://img.example/{i}.png" if i % 3 else f"/media/items/{i}.png"
        found.append(
            ExportRecord(
                f"img-{i:03d}",
                url,
                f"{i}.png",
                640,
                480,
                status,
                None if status == "unresolved" else payload(),
                raw,
            )
        )
    return found


CASES = [
    (kind, fmt, raw)
    for kind, formats in (
        ("bbox", ("coco", "label_studio", "csv", "jsonl")),
        ("classification", ("label_studio", "csv", "jsonl")),
    )
    for fmt in formats
    for raw in (False, True)
]


@pytest.mark.parametrize(("kind", "fmt", "include_raw"), CASES)
@pytest.mark.parametrize("size", [1, 3, 17])
def test_chunked_writing_matches_rendering_at_once(kind: str, fmt: str, include_raw: bool, size: int) -> None:
    recs = records(kind)
    whole = render_export(recs, fmt, kind=kind, labels=LABELS, include_raw=include_raw)
    out = io.BytesIO()
    write_export(
        lambda: (recs[i : i + size] for i in range(0, len(recs), size)),
        fmt,
        out,
        kind=kind,
        labels=LABELS,
        include_raw=include_raw,
    )
    assert out.getvalue() == whole


def test_coco_numbering_runs_on_across_chunks_and_keeps_stale_labels() -> None:
    recs = records("bbox")
    out = io.BytesIO()
    write_export(
        lambda: (recs[i : i + 4] for i in range(0, 40, 4)),
        "coco",
        out,
        kind="bbox",
        labels=LABELS,
        include_raw=True,
    )
    document = json.loads(out.getvalue())
    assert [image["id"] for image in document["images"]] == list(range(1, 41))
    assert [a["id"] for a in document["annotations"]] == list(range(1, len(document["annotations"]) + 1))
    assert [a["id"] for a in document["raw_annotations"]] == list(
        range(1, len(document["raw_annotations"]) + 1)
    )
    assert [c["name"] for c in document["categories"]] == [*LABELS, "zebra", "äpfel"]


def test_a_tally_over_chunks_counts_what_export_counts_counts() -> None:
    recs = records("bbox")
    tally = ExportTally()
    for i in range(0, len(recs), 6):
        tally.add(recs[i : i + 6])
    for include_raw in (False, True):
        assert tally.counts(labels=LABELS, include_raw=include_raw) == export_counts(
            recs, labels=LABELS, include_raw=include_raw
        )


def test_coco_reads_the_records_once_when_every_label_is_the_projects() -> None:
    recs = records("bbox")
    calls = []

    def chunks() -> list[list[ExportRecord]]:
        calls.append(1)
        return [recs[i : i + 5] for i in range(0, len(recs), 5)]

    out = io.BytesIO()
    write_export(chunks, "coco", out, kind="bbox", labels=USED, include_raw=True)
    assert len(calls) == 1
    assert out.getvalue() == render_export(recs, "coco", kind="bbox", labels=USED, include_raw=True)
    calls.clear()
    write_export(chunks, "coco", io.BytesIO(), kind="bbox", labels=LABELS, include_raw=True)
    assert len(calls) == 3  # a stale label: the label set, then the whole document again
