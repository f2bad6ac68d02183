import numpy as np
import pytest

from annotation_qc.domain.geometry import boxes_from_payload, iou_matrix
from annotation_qc.domain.scoring import score_submission
from annotation_qc.domain.seeding import (
    BOX_ERROR_KINDS,
    CLASS_ERROR_KINDS,
    SeedingError,
    applicable_error_kinds,
    choose_error_kind,
    seed_error,
    seed_error_detailed,
)

LABELS = ["car", "person", "bike"]


def random_gold(rng, width, height, n_boxes):
    """Boxes of 3-40% of each side, anywhere inside the image, free to overlap."""
    sizes = rng.uniform(0.03, 0.4, size=(n_boxes, 2)) * [width, height]
    corners = rng.uniform(0, 1, size=(n_boxes, 2)) * ([width, height] - sizes)
    return {
        "boxes": [
            {"x": float(x), "y": float(y), "w": float(w), "h": float(h), "label": str(rng.choice(LABELS))}
            for (x, y), (w, h) in zip(np.round(corners, 2), np.round(sizes, 2), strict=True)
        ]
    }


# (seed, width, height, boxes): small and crowded scenes, a lone box, an empty image.
SCENES = [(seed, 640, 480, 1 + seed % 7) for seed in range(24)] + [
    (100, 1920, 1080, 25),
    (101, 64, 48, 3),
    (102, 300, 900, 1),
    (103, 640, 480, 0),
]


def scene(seed, width, height, n_boxes):
    return random_gold(np.random.default_rng(seed), width, height, n_boxes)


def arrays(payload):
    return boxes_from_payload(payload["boxes"])


def assert_inside(payload, width, height):
    boxes, _ = arrays(payload)
    assert (boxes[:, :2] >= 0).all()
    assert (boxes[:, 0] + boxes[:, 2] <= width + 0.011).all()
    assert (boxes[:, 1] + boxes[:, 3] <= height + 0.011).all()
    assert (boxes[:, 2:] > 0).all()
    np.testing.assert_array_equal(boxes, np.round(boxes, 2))


def test_every_kind_applies_to_an_ordinary_scene():
    gold = {"boxes": [{"x": 100, "y": 100, "w": 80, "h": 60, "label": "car"}]}
    kinds = applicable_error_kinds(gold, project_kind="bbox", labels=LABELS, width=640, height=480)
    assert kinds == BOX_ERROR_KINDS


@pytest.mark.parametrize(("seed", "width", "height", "n_boxes"), SCENES)
def test_each_applicable_kind_seeds_exactly_one_mistake(seed, width, height, n_boxes):
    gold = scene(seed, width, height, n_boxes)
    assert score_submission(gold, gold).fixed is True
    gold_boxes, gold_labels = arrays(gold)
    kinds = applicable_error_kinds(gold, project_kind="bbox", labels=LABELS, width=width, height=height)
    if n_boxes:
        assert {"drop", "relabel", "duplicate"} <= set(kinds)
    else:
        assert kinds == ("spurious",)
    for kind in kinds:
        for draw in range(3):
            seeded = seed_error_detailed(
                gold, kind, width=width, height=height, labels=LABELS, rng=np.random.default_rng([seed, draw])
            )
            assert seeded.kind == kind
            assert_inside(seeded.payload, width, height)
            outcome = score_submission(gold, seeded.payload)
            assert outcome.fixed is False
            boxes, labels = arrays(seeded.payload)
            check_one_mistake(kind, seeded, outcome, gold_boxes, gold_labels, boxes, labels, width, height)


def check_one_mistake(kind, seeded, outcome, gold_boxes, gold_labels, boxes, labels, width, height):
    n = len(gold_boxes)
    counts = (outcome.matched, outcome.missed, outcome.extra, outcome.wrong_label)
    # Every box the mistake did not touch is its gold box, up to 0.01 px rounding.
    untouched = [obj for obj in outcome.objects if obj.gold_index != seeded.gold_index]
    assert all(obj.status == "matched" and obj.iou > 0.999 for obj in untouched)
    if kind in ("shift", "oversize"):
        assert counts == (n - 1, 1, 1, 0)
        assert len(boxes) == n
        (missed,) = [obj for obj in outcome.objects if obj.status == "missed"]
        assert missed.gold_index == seeded.gold_index
        assert seeded.label == gold_labels[seeded.gold_index]
        new_box = boxes[outcome.extra_indices[0]]
        assert labels[outcome.extra_indices[0]] == seeded.label
        own_iou = iou_matrix(new_box[None], gold_boxes[seeded.gold_index][None])[0, 0]
        assert 0.3 <= own_iou <= 0.6
        assert iou_matrix(new_box[None], gold_boxes).max() <= 0.6
        if kind == "shift":
            np.testing.assert_allclose(new_box[2:], gold_boxes[seeded.gold_index][2:], atol=0.006)
        else:
            gold_box = gold_boxes[seeded.gold_index]
            assert (new_box[:2] <= gold_box[:2] + 0.01).all()
            assert (new_box[:2] + new_box[2:] >= gold_box[:2] + gold_box[2:] - 0.01).all()
            # Plausible: no side grows more than 1 / 0.4 = 2.5 times.
            assert (new_box[2:] <= 2.5 * gold_box[2:] + 0.02).all()
    elif kind == "drop":
        assert counts == (n - 1, 1, 0, 0)
        assert len(boxes) == n - 1
        assert outcome.objects[seeded.gold_index].status == "missed"
    elif kind == "duplicate":
        assert counts == (n, 0, 1, 0)
        assert len(boxes) == n + 1
        copy = boxes[outcome.extra_indices[0]]
        assert labels[outcome.extra_indices[0]] == gold_labels[seeded.gold_index]
        assert iou_matrix(copy[None], gold_boxes[seeded.gold_index][None])[0, 0] > 0.9
    elif kind == "relabel":
        assert counts == (n - 1, 0, 0, 1)
        assert len(boxes) == n
        obj = outcome.objects[seeded.gold_index]
        assert obj.status == "wrong_label"
        assert obj.submitted_label != obj.gold_label
        assert obj.submitted_label in LABELS
    elif kind == "spurious":
        assert counts == (n, 0, 1, 0)
        assert len(boxes) == n + 1
        extra = boxes[outcome.extra_indices[0]]
        assert labels[outcome.extra_indices[0]] in LABELS
        assert seeded.gold_index is None
        if n:
            assert iou_matrix(extra[None], gold_boxes).max() <= 0.1
            # Plausible size: that of some gold box, scaled by 0.8-1.25 (or clipped to the image).
            ratio = extra[2:] / gold_boxes[:, 2:]
            assert (
                np.all((ratio > 0.79) & (ratio < 1.26), axis=1) | (extra[2:] >= [width, height]).any()
            ).any()
        else:
            assert 0.079 * width <= extra[2] <= 0.301 * width
    else:
        pytest.fail(f"unexpected kind {kind}")


@pytest.mark.parametrize("kind", BOX_ERROR_KINDS)
def test_seeding_is_deterministic_per_seed(kind):
    gold = scene(7, 640, 480, 5)
    first = seed_error(gold, kind, width=640, height=480, labels=LABELS, rng=np.random.default_rng(42))
    again = seed_error(gold, kind, width=640, height=480, labels=LABELS, rng=np.random.default_rng(42))
    assert first == again
    others = {
        repr(seed_error(gold, kind, width=640, height=480, labels=LABELS, rng=np.random.default_rng(s)))
        for s in range(8)
    }
    assert len(others) > 1


@pytest.mark.parametrize("kind", ["duplicate", "spurious", "shift", "relabel"])
def test_box_order_does_not_give_the_mistake_away(kind):
    gold = scene(3, 640, 480, 4)
    positions = set()
    for seed in range(40):
        seeded = seed_error(gold, kind, width=640, height=480, labels=LABELS, rng=np.random.default_rng(seed))
        outcome = score_submission(gold, seeded)
        if kind == "relabel":
            (obj,) = [o for o in outcome.objects if o.status == "wrong_label"]
            positions.add(obj.submitted_index)
        else:
            positions.add(outcome.extra_indices[0])
    assert len(positions) >= 3


def test_gold_is_not_modified():
    gold = scene(5, 640, 480, 3)
    snapshot = repr(gold)
    for kind in BOX_ERROR_KINDS:
        seed_error(gold, kind, width=640, height=480, labels=LABELS, rng=np.random.default_rng(0))
    assert repr(gold) == snapshot


def test_classification_relabel_picks_another_label_from_the_set():
    gold = {"label": "car"}
    assert CLASS_ERROR_KINDS == ("relabel",)
    assert applicable_error_kinds(
        gold, project_kind="classification", labels=LABELS, width=32, height=32
    ) == ("relabel",)
    seen = set()
    for seed in range(30):
        seeded = seed_error_detailed(
            gold, "relabel", width=32, height=32, labels=LABELS, rng=np.random.default_rng(seed)
        )
        assert seeded.payload == {"label": seeded.payload["label"]}
        assert seeded.label == "car"
        seen.add(seeded.payload["label"])
        outcome = score_submission(gold, seeded.payload)
        assert (outcome.fixed, outcome.wrong_label) == (False, 1)
    assert seen == {"person", "bike"}
    assert score_submission(gold, gold).fixed is True


def test_relabel_needs_another_label():
    gold = {"boxes": [{"x": 1, "y": 1, "w": 10, "h": 10, "label": "car"}]}
    kinds = applicable_error_kinds(gold, project_kind="bbox", labels=["car"], width=100, height=100)
    assert "relabel" not in kinds
    with pytest.raises(SeedingError, match="relabel"):
        seed_error(gold, "relabel", width=100, height=100, labels=["car"], rng=np.random.default_rng(0))
    assert (
        applicable_error_kinds(
            {"label": "car"}, project_kind="classification", labels=["car"], width=1, height=1
        )
        == ()
    )
    with pytest.raises(SeedingError, match="other than 'car'"):
        seed_error(
            {"label": "car"}, "relabel", width=1, height=1, labels=["car"], rng=np.random.default_rng(0)
        )


def test_a_box_filling_the_image_can_be_dropped_duplicated_relabelled_only():
    gold = {"boxes": [{"x": 0, "y": 0, "w": 200, "h": 100, "label": "car"}]}
    kinds = applicable_error_kinds(gold, project_kind="bbox", labels=LABELS, width=200, height=100)
    assert kinds == ("drop", "duplicate", "relabel")
    for kind in ("shift", "oversize"):
        with pytest.raises(SeedingError, match="no gold box can take"):
            seed_error(gold, kind, width=200, height=100, labels=LABELS, rng=np.random.default_rng(0))
    with pytest.raises(SeedingError, match="free space"):
        seed_error(gold, "spurious", width=200, height=100, labels=LABELS, rng=np.random.default_rng(0))


def test_empty_gold_takes_only_a_spurious_box():
    empty = {"boxes": []}
    assert applicable_error_kinds(empty, project_kind="bbox", labels=LABELS, width=640, height=480) == (
        "spurious",
    )
    for kind in ("shift", "oversize", "drop", "duplicate"):
        with pytest.raises(SeedingError, match="needs a gold box"):
            seed_error(empty, kind, width=640, height=480, labels=LABELS, rng=np.random.default_rng(0))
    assert applicable_error_kinds(empty, project_kind="bbox", labels=[], width=640, height=480) == ()


@pytest.mark.parametrize(
    ("gold", "kind", "message"),
    [
        ({"boxes": []}, "smudge", "unknown error kind"),
        ({"label": "car"}, "shift", "does not apply to a classification"),
        ({"boxes": [{"x": 1, "y": 1, "w": 10, "label": "car"}]}, "drop", "malformed"),
        ({"boxes": [{"x": 1, "y": 1, "w": -10, "h": 5, "label": "car"}]}, "drop", "positive width"),
        ({"boxes": "nope"}, "drop", "'boxes' list"),
        ({"label": 3}, "relabel", "string 'label'"),
    ],
)
def test_bad_requests_raise_seeding_error(gold, kind, message):
    with pytest.raises(SeedingError, match=message):
        seed_error(gold, kind, width=100, height=100, labels=LABELS, rng=np.random.default_rng(0))


def test_bad_image_size_and_kind_mismatch_raise():
    gold = {"boxes": [{"x": 1, "y": 1, "w": 10, "h": 10, "label": "car"}]}
    with pytest.raises(SeedingError, match="image size"):
        seed_error(gold, "drop", width=0, height=100, labels=LABELS, rng=np.random.default_rng(0))
    with pytest.raises(SeedingError, match="image size"):
        applicable_error_kinds(gold, project_kind="bbox", labels=LABELS, width=float("nan"), height=1)
    with pytest.raises(SeedingError, match="classification project"):
        applicable_error_kinds(gold, project_kind="classification", labels=LABELS, width=100, height=100)
    with pytest.raises(SeedingError, match="'boxes' list"):
        applicable_error_kinds({"label": "car"}, project_kind="bbox", labels=LABELS, width=100, height=100)
    assert issubclass(SeedingError, ValueError)


def test_choose_error_kind_takes_the_least_used():
    counts = {"shift": 3, "drop": 1, "relabel": 1, "spurious": 0}
    rng = np.random.default_rng(0)
    assert choose_error_kind(["shift", "drop", "spurious"], counts, rng) == "spurious"
    picks = {
        choose_error_kind(["shift", "drop", "relabel"], counts, np.random.default_rng(s)) for s in range(30)
    }
    assert picks == {"drop", "relabel"}
    with pytest.raises(SeedingError, match="no error kind"):
        choose_error_kind([], counts, rng)


def test_choose_error_kind_balances_a_sequence():
    counts = dict.fromkeys(BOX_ERROR_KINDS, 0)
    rng = np.random.default_rng(1)
    for _ in range(60):
        counts[choose_error_kind(BOX_ERROR_KINDS, counts, rng)] += 1
    assert set(counts.values()) == {10}


@pytest.mark.parametrize("kind", ["shift", "oversize"])
def test_a_full_width_box_moves_or_grows_vertically_only(kind):
    # Random candidates nearly always move along x too and leave the image; the fixed grid's
    # pure vertical candidates must take over.
    gold = {"boxes": [{"x": 0, "y": 0, "w": 200, "h": 40, "label": "car"}]}
    assert kind in applicable_error_kinds(gold, project_kind="bbox", labels=LABELS, width=200, height=100)
    for seed in range(5):
        seeded = seed_error(gold, kind, width=200, height=100, labels=LABELS, rng=np.random.default_rng(seed))
        assert_inside(seeded, 200, 100)
        (box,) = seeded["boxes"]
        assert (box["x"], box["w"]) == (0.0, 200.0)
        iou = iou_matrix(arrays(seeded)[0], arrays(gold)[0])[0, 0]
        assert 0.3 <= iou <= 0.6
