"""Uploaded files and zip archives: safe member names, size limits, image signatures, file references.

Nothing here writes to disk: members are read into memory one at a time, never extracted by name,
and a member that inflates past the size its header declares is refused (zip bombs lie there).
"""

from __future__ import annotations

import posixpath
import re
import stat
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from annotation_qc.domain.formats.records import FormatError, Rejection

IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp"})
DATA_EXTENSIONS = {".json": "json", ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
IGNORED_PREFIXES = ("__MACOSX/",)
IGNORED_NAMES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
#: Compression ratios are only judged for members at least this large (small text compresses well).
RATIO_FLOOR_BYTES = 1 << 20
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class ArchiveLimits:
    max_members: int = 100_000
    max_total_bytes: int = 4 << 30
    max_member_bytes: int = 256 << 20
    max_ratio: float = 200.0


@dataclass(frozen=True)
class ArchiveMember:
    name: str
    size: int


@dataclass(frozen=True)
class ArchiveIndex:
    images: tuple[ArchiveMember, ...]
    data_files: tuple[ArchiveMember, ...]
    rejected: tuple[Rejection, ...]
    ignored: tuple[str, ...]


def unsafe_name(name: str) -> str | None:
    """Why a member name must not be used (path traversal, absolute paths), or None when it is safe."""
    if not name or "\x00" in name:
        return "empty name or a NUL character"
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return "absolute path"
    if "\\" in name:
        return "backslash in the path"
    if ".." in name.split("/"):
        return "path traversal ('..')"
    return None


def sniff_image(head: bytes) -> str | None:
    """The image type by its magic bytes: png, jpeg, gif or webp; None for anything else."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def extension(name: str) -> str:
    return posixpath.splitext(name)[1].lower()


def index_archive(archive: zipfile.ZipFile, limits: ArchiveLimits) -> ArchiveIndex:
    """Classify an archive's members, refusing unsafe names, links, nested archives and bombs."""
    infos = [info for info in archive.infolist() if not info.is_dir()]
    if len(infos) > limits.max_members:
        raise FormatError(f"the archive holds {len(infos)} files; at most {limits.max_members}")
    sizes = np.array([info.file_size for info in infos], dtype=np.int64)
    compressed = np.array([info.compress_size for info in infos], dtype=np.int64)
    total = int(sizes.sum())
    if total > limits.max_total_bytes:
        raise FormatError(
            f"the archive unpacks to {total} bytes; at most {limits.max_total_bytes} (zip bomb or too large)"
        )
    ratios = sizes / np.maximum(compressed, 1)
    bombs = (sizes >= RATIO_FLOOR_BYTES) & (ratios > limits.max_ratio)
    too_big = sizes > limits.max_member_bytes
    rejected: list[Rejection] = []
    images: list[ArchiveMember] = []
    data_files: list[ArchiveMember] = []
    ignored: list[str] = []
    for position, info in enumerate(infos):
        name = info.filename
        reason = unsafe_name(name)
        mode = info.external_attr >> 16
        if reason is None and stat.S_ISLNK(mode):
            reason = "symbolic link"
        elif reason is None and bombs[position]:
            reason = f"compression ratio {ratios[position]:.0f}:1 (zip bomb?)"
        elif reason is None and too_big[position]:
            reason = f"{sizes[position]} bytes; at most {limits.max_member_bytes}"
        elif reason is None and info.flag_bits & 0x1:
            reason = "encrypted"
        if reason is not None:
            rejected.append(Rejection(f"archive:{name}", reason))
            continue
        base = posixpath.basename(name)
        if name.startswith(IGNORED_PREFIXES) or base in IGNORED_NAMES or base.startswith("._"):
            ignored.append(name)
        elif extension(name) in IMAGE_EXTENSIONS:
            images.append(ArchiveMember(name, info.file_size))
        elif extension(name) in DATA_EXTENSIONS:
            data_files.append(ArchiveMember(name, info.file_size))
        elif extension(name) in (".zip", ".tar", ".gz", ".tgz", ".7z", ".rar"):
            rejected.append(Rejection(f"archive:{name}", "nested archives are not supported"))
        else:
            rejected.append(
                Rejection(f"archive:{name}", "neither an image (png, jpeg, gif, webp) nor a data file")
            )
    return ArchiveIndex(tuple(images), tuple(data_files), tuple(rejected), tuple(ignored))


def read_member(archive: zipfile.ZipFile, name: str, *, declared: int, limit: int) -> bytes:
    """A member's bytes, refusing one that inflates past its declared size or the limit."""
    cap = min(declared, limit)
    with archive.open(name) as stream:
        content = stream.read(cap + 1)
    if len(content) > cap:
        raise FormatError(f"archive:{name}: inflates past its declared size {declared} (zip bomb?)")
    return content


def data_file_format(data_files: Sequence[ArchiveMember]) -> tuple[ArchiveMember, str] | None:
    """The archive's one annotation file and its kind (json, csv or jsonl); None without one."""
    if not data_files:
        return None
    if len(data_files) > 1:
        kinds = sorted({DATA_EXTENSIONS[extension(m.name)] for m in data_files})
        names = ", ".join(m.name for m in data_files[:5])
        mixed = " (mixed formats)" if len(kinds) > 1 else ""
        raise FormatError(
            f"the archive holds {len(data_files)} annotation files{mixed}: {names}; one is allowed"
        )
    member = data_files[0]
    return member, DATA_EXTENSIONS[extension(member.name)]


def match_files(references: Sequence[str], names: Sequence[str]) -> list[str | Rejection | None]:
    """Each image reference resolved to one uploaded file name: the exact path, else a unique base name.

    References that are http(s) URLs give None (the image stays a URL); references matching no
    file or several give a :class:`Rejection` (its ``row`` is left empty for the caller to fill).
    """
    exact = set(names)
    by_base: dict[str, list[str]] = {}
    for name in names:
        by_base.setdefault(posixpath.basename(name), []).append(name)
    resolved: list[str | Rejection | None] = []
    for reference in references:
        if reference.startswith(("http://", "https://")):
            resolved.append(None)
            continue
        clean = reference.split("?", 1)[0]
        while clean.startswith("./"):
            clean = clean[2:]
        clean = clean.lstrip("/")
        if clean in exact:
            resolved.append(clean)
            continue
        candidates = by_base.get(posixpath.basename(clean), [])
        if len(candidates) == 1:
            resolved.append(candidates[0])
        elif candidates:
            resolved.append(
                Rejection("", f"'{reference}' matches {len(candidates)} uploaded files; use the full path")
            )
        else:
            resolved.append(
                Rejection("", f"image '{reference}' is neither an http(s) URL nor an uploaded file")
            )
    return resolved
