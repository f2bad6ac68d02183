import json

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from annotation_qc.domain.agreement import (
    ClassificationAnnotations,
    classification_report,
    project_report,
    reliability_matrix,
)

LABELS = ["cat", "dog", "bird"]


def planted_project(seed=0, n_items=400):
    """Annotators 10 and 11 are careful, 12 answers at random; items get two or three labels."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 3, n_items)
    rows = []
    for item in range(n_items):
        annotators = [10, 11, 12] if item % 4 == 0 else list(rng.choice([10, 11, 12], 2, replace=False))
        for annotator in annotators:
            careful = annotator != 12
            label = truth[item] if careful and rng.uniform() < 0.9 else int(rng.integers(0, 3))
            rows.append((item * 7, int(annotator), int(label)))
    rows.append((99_999, 10, 0))  # a single annotation: ignored
    item, annotator, label = (np.array(column) for column in zip(*rows, strict=True))
    return item, annotator, label


def test_report_alpha_equals_the_krippendorff_package():
    item, annotator, label = planted_project()
    report = classification_report(item, annotator, label, label_names=LABELS, n_resamples=300)
    matrix = reliability_matrix(item, annotator, label)
    expected = krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
    assert report.alpha.value == pytest.approx(expected, abs=1e-12)
    assert report.interval is not None
    assert report.interval.low is not None
    assert report.interval.high is not None
    assert report.interval.low < expected < report.interval.high
    assert (report.n_items, report.n_ignored_items, report.n_units) == (400, 1, 400)


def test_pairwise_matrix_holds_cohens_kappa_on_shared_items():
    item, annotator, label = planted_project()
    report = classification_report(item, annotator, label, label_names=LABELS, n_resamples=0)
    matrix = reliability_matrix(item, annotator, label)
    ids = sorted(set(annotator.tolist()))
    assert [(p.annotator_a, p.annotator_b) for p in report.pairwise] == [(10, 11), (10, 12), (11, 12)]
    for pair in report.pairwise:
        a, b = matrix[ids.index(pair.annotator_a)], matrix[ids.index(pair.annotator_b)]
        shared = ~np.isnan(a) & ~np.isnan(b)
        assert pair.n_shared_units == shared.sum()
        assert pair.kappa.value == pytest.approx(cohen_kappa_score(a[shared], b[shared]))
        two_coder = krippendorff.alpha(
            reliability_data=np.vstack([a[shared], b[shared]]), level_of_measurement="nominal"
        )
        assert pair.alpha.value == pytest.approx(two_coder)
    careful_pair = report.pairwise[0]
    assert careful_pair.kappa.value is not None
    assert careful_pair.kappa.value > 0.6
    assert all(p.kappa.value is not None and p.kappa.value < 0.3 for p in report.pairwise[1:])


def test_the_random_annotator_diverges_from_peers():
    item, annotator, label = planted_project()
    report = classification_report(item, annotator, label, label_names=LABELS, n_resamples=0)
    by_id = {entry.annotator: entry for entry in report.annotators}
    assert by_id[12].alpha_with_peers.value is not None
    assert by_id[10].alpha_with_peers.value is not None
    assert by_id[12].alpha_with_peers.value < 0.3 < by_id[10].alpha_with_peers.value
    assert by_id[12].observed_agreement < by_id[11].observed_agreement


def test_per_label_agreement_and_intervals():
    item, annotator, label = planted_project()
    report = classification_report(item, annotator, label, label_names=LABELS, n_resamples=200)
    assert [entry.label for entry in report.per_label] == LABELS
    matrix = reliability_matrix(item, annotator, label)
    for code, entry in enumerate(report.per_label):
        binary = np.where(np.isnan(matrix), np.nan, (matrix == code).astype(float))
        assert entry.alpha.value == pytest.approx(
            krippendorff.alpha(reliability_data=binary, level_of_measurement="nominal")
        )
        assert entry.interval is not None
        assert entry.interval.low is not None
        assert entry.interval.high is not None
        assert entry.interval.low < entry.alpha.value < entry.interval.high
        assert 0 < (entry.specific_agreement or 0) < 1


def test_low_agreement_items_list_their_conflicts():
    item = [1, 1, 2, 2, 3, 3, 3]
    annotator = [5, 6, 5, 6, 5, 6, 7]
    label = [0, 0, 1, 1, 0, 2, 0]
    report = classification_report(
        item, annotator, label, label_names=LABELS, n_resamples=0, min_shared_units=1
    )
    (low,) = report.low_agreement_items
    assert low.item == 3
    assert low.n_annotations == 3
    assert low.score is not None
    assert low.score < 0.667
    assert [(c["annotator"], c["peer"], c["label"], c["peer_label"]) for c in low.conflicts] == [
        (5, 6, "cat", "bird"),
        (6, 7, "bird", "cat"),
    ]
    assert {c["kind"] for c in low.conflicts} == {"label_mismatch"}
    assert [entry.item for entry in report.items_below(1.0)] == [3, 1, 2]
    assert report.conflict_counts == {"label_mismatch": 2}


def test_each_low_agreement_item_lists_only_its_own_conflicts():
    # Items 1 and 2 have three annotators: their (first, third) pairs come after every adjacent pair.
    item = [1, 1, 1, 2, 2, 2, 3, 3]
    annotator = [5, 6, 7, 5, 6, 7, 5, 6]
    label = [0, 1, 2, 0, 1, 2, 0, 1]
    report = classification_report(
        item, annotator, label, label_names=LABELS, n_resamples=0, min_shared_units=1, max_item_score=1.0
    )
    conflicts = {
        entry.item: [(c["item"], c["annotator"], c["peer"]) for c in entry.conflicts]
        for entry in report.low_agreement_items
    }
    assert conflicts == {
        1: [(1, 5, 6), (1, 6, 7), (1, 5, 7)],
        2: [(2, 5, 6), (2, 6, 7), (2, 5, 7)],
        3: [(3, 5, 6)],
    }


def test_all_identical_answers_are_undefined_never_nan():
    report = classification_report([1, 1, 2, 2], [5, 6, 5, 6], [2, 2, 2, 2], label_names=LABELS)
    assert report.alpha.value is None
    assert "only one value" in (report.alpha.reason or "")
    assert report.interval is None
    payload = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert payload["alpha"] == {"value": None, "reason": report.alpha.reason}
    assert all(entry["alpha"]["value"] is None and entry["alpha"]["reason"] for entry in payload["per_label"])
    assert all(entry["alpha_with_peers"]["reason"] for entry in payload["annotators"])
    assert payload["low_agreement_items"] == []


def test_pairs_with_few_shared_items_are_reported_as_undefined():
    item, annotator, label = planted_project(n_items=40)
    report = classification_report(
        item, annotator, label, label_names=LABELS, n_resamples=0, min_shared_units=50
    )
    assert all(pair.kappa.value is None for pair in report.pairwise)
    assert all("fewer than 50" in (pair.kappa.reason or "") for pair in report.pairwise)


def test_only_single_annotations_give_an_empty_undefined_report():
    report = classification_report([1, 2], [5, 5], [0, 1], label_names=LABELS)
    assert (report.n_items, report.n_ignored_items) == (0, 2)
    assert "two or more" in (report.alpha.reason or "")
    json.dumps(report.to_dict(), allow_nan=False)


def test_project_report_dispatches_on_the_input():
    item, annotator, label = planted_project(n_items=50)
    via_project = project_report(
        ClassificationAnnotations(item, annotator, label), label_names=LABELS, n_resamples=50
    )
    direct = classification_report(item, annotator, label, label_names=LABELS, n_resamples=50)
    assert via_project.to_dict() == direct.to_dict()
    boxes = project_report(
        [[(1, [[0, 0, 10, 10]], [0]), (2, [[0, 0, 10, 10]], [1])]], label_names=LABELS, n_resamples=0
    )
    assert boxes.kind == "bbox"


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="label codes"):
        classification_report([1, 1], [5, 6], [0, 3], label_names=LABELS)
    with pytest.raises(ValueError, match="two values"):
        classification_report([1, 1], [5, 5], [0, 1], label_names=LABELS)
    with pytest.raises(ValueError, match="same length"):
        classification_report([1, 1], [5], [0, 1], label_names=LABELS)
