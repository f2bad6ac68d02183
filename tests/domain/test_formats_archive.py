"""Zip archives and uploaded files: traversal, links, bombs, limits, image signatures, file references."""

from __future__ import annotations

import io
import stat
import zipfile

import pytest

from annotation_qc.domain.formats import (
    ArchiveLimits,
    FormatError,
    Rejection,
    data_file_format,
    index_archive,
    items_from_files,
    match_files,
    read_member,
    sniff_image,
    unsafe_name,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20


def archive(members: dict[str, bytes], *, compression: int = zipfile.ZIP_STORED) -> zipfile.ZipFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    buffer.seek(0)
    return zipfile.ZipFile(buffer)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../etc/passwd", "traversal"),
        ("images/../../x.png", "traversal"),
        ("/etc/passwd", "absolute"),
        ("C:/Windows/x.png", "absolute"),
        ("\\\\server\\x.png", "absolute"),
        ("a\\..\\x.png", "backslash"),
        ("", "empty"),
    ],
)
def test_unsafe_names(name: str, reason: str) -> None:
    assert reason in (unsafe_name(name) or "")


@pytest.mark.parametrize("name", ["a.png", "images/a..b.png", "deep/er/x.jpg", "..hidden.png"])
def test_safe_names(name: str) -> None:
    assert unsafe_name(name) is None


def test_traversal_member_is_rejected_by_name() -> None:
    index = index_archive(archive({"ok.png": PNG, "../evil.png": PNG}), ArchiveLimits())
    assert [r.row for r in index.rejected] == ["archive:../evil.png"]
    assert "traversal" in index.rejected[0].reason
    assert [m.name for m in index.images] == ["ok.png"]


def test_symlinks_and_nested_archives_and_strangers_are_rejected() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        link = zipfile.ZipInfo("link.png")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
        zf.writestr("inner.zip", b"PK")
        zf.writestr("notes.exe", b"MZ")
        zf.writestr("__MACOSX/._a.png", b"junk")
    index = index_archive(zipfile.ZipFile(buffer), ArchiveLimits())
    found = {r.row: r.reason for r in index.rejected}
    assert found["archive:link.png"] == "symbolic link"
    assert "nested archives" in found["archive:inner.zip"]
    assert "neither an image" in found["archive:notes.exe"]
    assert index.ignored == ("__MACOSX/._a.png",)


def test_zip_bomb_by_ratio_and_by_total_size() -> None:
    bomb = archive({"zeros.json": b"0" * (4 << 20)}, compression=zipfile.ZIP_DEFLATED)
    index = index_archive(bomb, ArchiveLimits(max_ratio=100))
    assert "zip bomb" in index.rejected[0].reason
    with pytest.raises(FormatError, match="unpacks to"):
        index_archive(bomb, ArchiveLimits(max_total_bytes=1 << 20))
    with pytest.raises(FormatError, match="at most 1"):
        index_archive(archive({"a.png": PNG, "b.png": PNG}), ArchiveLimits(max_members=1))


def test_member_inflating_past_its_declared_size_is_refused() -> None:
    zf = archive({"a.json": b"x" * 100})
    assert read_member(zf, "a.json", declared=100, limit=1000) == b"x" * 100
    with pytest.raises(FormatError, match="declared size"):
        read_member(zf, "a.json", declared=10, limit=1000)


def test_one_annotation_file_per_archive() -> None:
    index = index_archive(archive({"x.json": b"{}", "y.csv": b"", "a.png": PNG}), ArchiveLimits())
    with pytest.raises(FormatError, match="mixed formats"):
        data_file_format(index.data_files)
    single = index_archive(archive({"ann/x.jsonl": b"", "a.png": PNG}), ArchiveLimits())
    member, kind = data_file_format(single.data_files) or (None, "")
    assert (member.name if member else None, kind) == ("ann/x.jsonl", "jsonl")


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (PNG, "png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"),
        (b"GIF89a....", "gif"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "webp"),
        (b"<svg xmlns=", None),
        (b"%PDF-1.4", None),
        (b"MZ\x90\x00", None),
    ],
)
def test_image_signatures(head: bytes, kind: str | None) -> None:
    assert sniff_image(head) == kind


def test_references_resolve_to_exact_paths_then_unique_base_names() -> None:
    names = ["images/a.jpg", "b.jpg", "x/c.jpg", "y/c.jpg"]
    resolved = match_files(
        ["images/a.jpg", "a.jpg", "./b.jpg", "c.jpg", "d.jpg", "https://i.example/e.jpg"], names
    )
    assert resolved[:3] == ["images/a.jpg", "images/a.jpg", "b.jpg"]
    assert isinstance(resolved[3], Rejection)
    assert "matches 2" in resolved[3].reason
    assert isinstance(resolved[4], Rejection)
    assert "neither" in resolved[4].reason
    assert resolved[5] is None


def test_bare_images_become_items_named_by_path() -> None:
    result = items_from_files(["a.png", "dir/b.jpg", "a.png"])
    assert [i.external_id for i in result.items] == ["a.png", "dir/b.jpg", "a.png"]
    assert [r.row for r in result.rejected] == ["file:a.png"]
