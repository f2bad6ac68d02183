"""Fuzzing the importers and the payload validator: a result or the documented error, never a crash.

Hypothesis builds files that are nearly right (the format's keys with arbitrary values: huge and
non-finite numbers, NUL characters, wrong types, deep nesting) and files that are just bytes. Each
reader must answer with a ``ParseResult`` (rows rejected with reasons) or a ``FormatError``; the
payload validator with a clean payload or a ``PayloadError``. Bounded and derandomised so it runs in
seconds and CI is repeatable (``AQC_FUZZ_EXAMPLES`` makes a deeper local run).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import zipfile
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotation_qc.domain.formats import (
    ArchiveLimits,
    FormatError,
    ParseOptions,
    ParseResult,
    data_file_format,
    index_archive,
    match_files,
    parse_file,
    read_member,
)
from annotation_qc.domain.jsonsafe import unstorable
from annotation_qc.domain.payloads import PayloadError, validate_payload

EXAMPLES = int(os.environ.get("AQC_FUZZ_EXAMPLES", "120"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
LABELS = ("car", "person")
OPTIONS = [
    ParseOptions(kind="bbox", labels=LABELS),
    ParseOptions(kind="classification", labels=LABELS),
    ParseOptions(kind="bbox", labels=LABELS, target="predictions", model_version="m1"),
    ParseOptions(kind="bbox", labels=LABELS, target="gold", max_boxes=2),
]

numbers = st.one_of(
    st.integers(min_value=-5, max_value=700),
    st.integers(),
    st.sampled_from([10**400, -(10**30), 2**63, 0, 1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e309, -1e309, 3.7, 0.5, 1e-320]),
)
texts = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["car", "person", "a\x00b", "https://img.example/a.png", "a.png", "../x.png", ""]),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, texts)
anything = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.one_of(texts, st.just("k\x00")), inner, max_size=4)
    ),
    max_leaves=12,
)


def loose(keys: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects with the format's keys (each present or not) holding plausible or arbitrary values."""
    return st.fixed_dictionaries(
        {}, optional={key: st.one_of(values, anything) for key, values in keys.items()}
    )


box = st.lists(numbers, min_size=0, max_size=5)
coco = loose(
    {
        "images": st.lists(
            loose(
                {
                    "id": numbers,
                    "file_name": texts,
                    "coco_url": texts,
                    "width": numbers,
                    "height": numbers,
                }
            ),
            max_size=4,
        ),
        "annotations": st.lists(
            loose(
                {
                    "id": numbers,
                    "image_id": numbers,
                    "category_id": numbers,
                    "bbox": box,
                    "score": numbers,
                    "iscrowd": numbers,
                }
            ),
            max_size=5,
        ),
        "categories": st.lists(loose({"id": numbers, "name": texts}), max_size=3),
    }
)
label_studio = st.lists(
    loose(
        {
            "id": numbers,
            "data": loose({"image": texts, "external_id": texts}),
            "annotations": st.lists(
                loose(
                    {
                        "result": st.lists(
                            loose(
                                {
                                    "type": st.sampled_from(["rectanglelabels", "choices", "x"]),
                                    "original_width": numbers,
                                    "original_height": numbers,
                                    "value": loose(
                                        {
                                            "x": numbers,
                                            "y": numbers,
                                            "width": numbers,
                                            "height": numbers,
                                            "rectanglelabels": st.lists(texts, max_size=2),
                                            "choices": st.lists(texts, max_size=2),
                                        }
                                    ),
                                    "score": numbers,
                                }
                            ),
                            max_size=3,
                        )
                    }
                ),
                max_size=2,
            ),
            "predictions": st.lists(loose({"model_version": texts, "result": anything}), max_size=2),
        }
    ),
    max_size=3,
)
jsonl_row = loose(
    {
        "external_id": texts,
        "image_url": texts,
        "width": numbers,
        "height": numbers,
        "annotation": st.one_of(
            loose({"label": texts}),
            loose({"boxes": st.lists(loose(dict.fromkeys("xywh", numbers) | {"label": texts}), max_size=3)}),
        ),
        "scores": st.lists(numbers, max_size=3),
        "metadata": anything,
    }
)
cell = st.one_of(texts, numbers.map(str), st.sampled_from(["", "nan", "inf", "1e309", "-0", " 12 "]))
csv_header = st.sampled_from(
    [
        "external_id,image_url,width,height",
        "external_id,image_url,width,height,label",
        "external_id,image_url,width,height,label,x,y,w,h",
        "external_id,image_url,width,height,x,y,w,h,label,score",
        "id,url",
    ]
)


def dumps(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


def check(raw: bytes, fmt: str, options: ParseOptions) -> None:
    try:
        result = parse_file(raw, fmt, options)  # type: ignore[arg-type]
    except FormatError:
        return
    assert isinstance(result, ParseResult)
    for item in result.items:
        assert not unstorable({"id": item.external_id, "image": item.image, "meta": dict(item.metadata)})
        if item.payload is not None:
            for b in item.payload.get("boxes", []):
                assert all(math.isfinite(b[k]) for k in "xywh"), item
        if item.width is not None:
            assert isinstance(item.width, int)
            assert item.width >= 1
    assert len(result.items) + len(result.rejected) >= 0


@FUZZ
@given(document=coco, options=st.sampled_from(OPTIONS))
def test_coco_reader_never_crashes(document: dict[str, Any], options: ParseOptions) -> None:
    check(dumps(document), "coco", options)


@FUZZ
@given(tasks=st.one_of(label_studio, anything), options=st.sampled_from(OPTIONS))
def test_label_studio_reader_never_crashes(tasks: Any, options: ParseOptions) -> None:
    check(dumps(tasks), "label_studio", options)


@FUZZ
@given(rows=st.lists(st.one_of(jsonl_row, anything), max_size=5), options=st.sampled_from(OPTIONS))
def test_jsonl_reader_never_crashes(rows: list[Any], options: ParseOptions) -> None:
    check(b"\n".join(dumps(row) for row in rows), "jsonl", options)


@FUZZ
@given(
    header=csv_header,
    rows=st.lists(st.lists(cell, min_size=0, max_size=10), max_size=6),
    options=st.sampled_from(OPTIONS),
)
def test_csv_reader_never_crashes(header: str, rows: list[list[str]], options: ParseOptions) -> None:
    text = "\n".join([header, *(",".join(c.replace("\n", " ") for c in row) for row in rows)])
    check(text.encode("utf-8", "surrogatepass"), "csv", options)


@FUZZ
@given(raw=st.binary(max_size=200), fmt=st.sampled_from(["coco", "label_studio", "csv", "jsonl"]))
def test_any_bytes_are_a_result_or_a_format_error(raw: bytes, fmt: str) -> None:
    check(raw, fmt, OPTIONS[0])


@pytest.mark.parametrize("fmt", ["coco", "label_studio", "jsonl"])
def test_deep_nesting_is_a_format_error(fmt: str) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    if fmt == "jsonl":
        result = parse_file(
            b'{"external_id": "a", "image_url": "a.png", "metadata": ' + deep + b"}", "jsonl", OPTIONS[0]
        )
        assert not result.items
        assert result.rejected
        return
    with pytest.raises(FormatError, match="nested"):
        parse_file(deep, fmt, OPTIONS[0])  # type: ignore[arg-type]


def test_nul_characters_are_rejected_rows_in_every_format() -> None:
    jsonl = b'{"external_id": "a\\u0000", "image_url": "https://i.example/a.png", "width": 5, "height": 5}'
    result = parse_file(jsonl, "jsonl", OPTIONS[1])
    assert not result.items
    assert "NUL" in result.rejected[0].reason
    csv = b"external_id,image_url,width,height\nb\x00,https://i.example/b.png,5,5\n"
    result = parse_file(csv, "csv", OPTIONS[1])
    assert not result.items


member_names = st.one_of(
    st.sampled_from(
        ["a.png", "b.jpg", "data.json", "x/../../etc.png", "/abs.png", "dir/", "n.zip", "c.csv", "d.jsonl"]
    ),
    st.text(min_size=1, max_size=10),
)


@FUZZ
@given(members=st.lists(st.tuples(member_names, st.binary(max_size=64)), max_size=5))
def test_archive_reading_never_crashes(members: list[tuple[str, bytes]]) -> None:
    buffer = io.BytesIO()
    names: set[str] = set()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members:
            if name in names:
                continue
            names.add(name)
            try:
                archive.writestr(name, content)
            except (ValueError, UnicodeEncodeError, IndexError):  # names zipfile itself cannot write
                continue
    limits = ArchiveLimits(max_members=4, max_total_bytes=10_000, max_member_bytes=50, max_ratio=200)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        try:
            index = index_archive(archive, limits)
        except FormatError:
            return
        for member in index.images + index.data_files:
            with contextlib.suppress(FormatError):
                read_member(archive, member.name, declared=member.size, limit=limits.max_member_bytes)
        with contextlib.suppress(FormatError):
            data_file_format(index.data_files)
        match_files([name for name, _ in members], [m.name for m in index.images])


@FUZZ
@given(
    raw=st.one_of(
        anything,
        loose({"label": texts}),
        loose(
            {"boxes": st.one_of(anything, st.lists(loose(dict.fromkeys("xywh", numbers) | {"label": texts})))}
        ),
    ),
    kind=st.sampled_from(["bbox", "classification"]),
    side=st.sampled_from([1.0, 640.0, math.inf]),
)
def test_payload_validator_never_crashes(raw: Any, kind: str, side: float) -> None:
    try:
        clean = validate_payload(
            raw,
            kind=kind,  # type: ignore[arg-type]
            labels=LABELS,
            width=side,
            height=side,
            max_boxes=3,
        )
    except PayloadError as exc:
        problems = exc.errors
        assert problems
        return
    for b in clean.get("boxes", []):
        assert all(math.isfinite(b[k]) for k in "xywh")
