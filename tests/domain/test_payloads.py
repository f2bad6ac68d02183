import math

import pytest

from annotation_qc.domain.payloads import PayloadError, validate_payload

LABELS = ["car", "person"]


def bbox(boxes, **kw):
    return validate_payload({"boxes": boxes}, kind="bbox", labels=LABELS, width=100, height=80, **kw)


def errors_of(call):
    with pytest.raises(PayloadError) as caught:
        call()
    return caught.value.errors


def test_valid_boxes_are_normalised_to_floats():
    clean = bbox([{"x": 1, "y": 2, "w": 3, "h": 4, "label": "car"}])
    assert clean == {"boxes": [{"x": 1.0, "y": 2.0, "w": 3.0, "h": 4.0, "label": "car"}]}


def test_each_bad_field_is_named_by_its_path():
    errors = errors_of(
        lambda: bbox(
            [
                {"x": 1, "y": 2, "w": 3, "h": 4, "label": "car"},
                {"x": 1, "y": 2, "w": -3, "h": 4, "label": "car"},
                {"x": 1, "y": 2, "w": 3, "h": 4, "label": "tree"},
                {"x": 90, "y": 2, "w": 30, "h": 4, "label": "car"},
            ]
        )
    )
    assert set(errors) == {"boxes[1].w", "boxes[2].label", "boxes[3].x"}


@pytest.mark.parametrize("bad", [math.nan, math.inf, "12", None, True])
def test_non_finite_or_non_numeric_coordinates_rejected(bad):
    errors = errors_of(lambda: bbox([{"x": bad, "y": 2, "w": 3, "h": 4, "label": "car"}]))
    assert "boxes[0].x" in errors


def test_small_overhang_is_tolerated_large_is_not():
    bbox([{"x": -1, "y": 0, "w": 101.5, "h": 80, "label": "car"}])
    assert "boxes[0].y" in errors_of(lambda: bbox([{"x": 0, "y": 50, "w": 10, "h": 40, "label": "car"}]))


def test_box_count_limit_and_shape_errors():
    box = {"x": 1, "y": 1, "w": 1, "h": 1, "label": "car"}
    assert "boxes" in errors_of(lambda: bbox([box] * 3, max_boxes=2))
    assert "boxes" in errors_of(lambda: validate_payload({}, kind="bbox", labels=LABELS, width=1, height=1))
    assert "boxes[0]" in errors_of(lambda: bbox(["nope"]))
    assert "boxes[0].colour" in errors_of(lambda: bbox([{**box, "colour": "red"}]))


def test_classification_payload():
    ok = validate_payload({"label": "car"}, kind="classification", labels=LABELS, width=1, height=1)
    assert ok == {"label": "car"}
    with pytest.raises(PayloadError, match="label"):
        validate_payload({"label": "tree"}, kind="classification", labels=LABELS, width=1, height=1)
    with pytest.raises(PayloadError):
        validate_payload(["car"], kind="classification", labels=LABELS, width=1, height=1)


# -- many payloads at once ------------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from annotation_qc.domain.payloads import validate_box_payloads  # noqa: E402

_numbers = st.one_of(
    st.integers(-50, 200),
    st.floats(allow_nan=True, allow_infinity=True),
    st.just(10**400),
    st.text(max_size=2),
)
_boxes = st.lists(
    st.one_of(
        st.fixed_dictionaries(
            {
                "x": _numbers,
                "y": _numbers,
                "w": _numbers,
                "h": _numbers,
                "label": st.sampled_from([*LABELS, "dog", 3]),
            }
        ),
        st.dictionaries(st.sampled_from(["x", "y", "w", "h", "label", "score"]), _numbers, max_size=6),
        st.integers(),
    ),
    max_size=5,
)
_payloads = st.one_of(
    st.fixed_dictionaries({"boxes": _boxes}),
    st.just({"boxes": None}),
    st.just([1]),
    st.just({"label": "car"}),
)


def _alone(raw, width):
    try:
        return (
            validate_payload(
                raw, kind="bbox", labels=LABELS, width=width, height=80.0, max_boxes=4, retired=("person",)
            ),
            None,
        )
    except PayloadError as exc:
        return None, exc.errors


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_payloads, st.sampled_from([100.0, 640.0, math.inf])), max_size=8))
def test_each_payload_of_a_batch_is_judged_as_if_alone(cases):
    """The batch validator (imports) gives each payload the verdict, messages and clean form it gets alone:
    nothing leaks between payloads (box positions, sizes, errors)."""
    clean, errors = validate_box_payloads(
        [raw for raw, _ in cases],
        labels=LABELS,
        widths=[w for _, w in cases],
        heights=[80.0] * len(cases),
        max_boxes=4,
        retired=("person",),
    )
    for index, (raw, width) in enumerate(cases):
        assert (clean[index], errors.get(index)) == _alone(raw, width)


def test_a_batch_of_no_payloads_is_empty():
    assert validate_box_payloads([], labels=LABELS, widths=[], heights=[]) == ([], {})
