"""Preview renditions of very large images: the worker's time and the bytes a browser loads instead.

Renders the preview (labeling.services.previews.preview_render) of synthetic photos-like images (noise
over gradients, so they do not compress to nothing) and prints, per size and format, the original's bytes,
the preview's bytes and its size, and the render time (median of --repeat runs).

    .venv/bin/python bench/image_previews.py --repeat 3
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

import django
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
django.setup()

from annotation_qc.labeling.services.previews import preview_render  # noqa: E402

SIZES = ((6000, 4000), (12000, 8000))


def synthetic(width: int, height: int, fmt: str) -> bytes:
    rng = np.random.default_rng(0)
    x = np.linspace(0, 255, width, dtype=np.float32)[None, :]
    y = np.linspace(0, 255, height, dtype=np.float32)[:, None]
    base = np.stack([x + 0 * y, y + 0 * x, (x + y) / 2], axis=-1)
    noisy = np.clip(base + rng.normal(0, 12, (height, width, 3)).astype(np.float32), 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(noisy).save(
        out, format=fmt, **({"quality": 90} if fmt == "JPEG" else {"compress_level": 6})
    )
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print("| original | format | original MB | preview | preview KB | render s (median) |")
    print("|---|---|---:|---|---:|---:|")
    for width, height in SIZES:
        for fmt in ("JPEG", "PNG"):
            content = synthetic(width, height, fmt)
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                rendered, _ = preview_render(content)
                times.append(time.perf_counter() - start)
            with Image.open(io.BytesIO(rendered)) as preview:
                size = f"{preview.width}x{preview.height}"
            print(
                f"| {width}x{height} | {fmt} | {len(content) / 1e6:.1f} | {size} | {len(rendered) / 1e3:.0f} "
                f"| {statistics.median(times):.2f} |"
            )


if __name__ == "__main__":
    main()
