import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from annotation_qc.domain.agreement import (
    AlphaResult,
    UndefinedAgreement,
    alpha_or_undefined,
    cohen_kappa,
    fleiss_kappa,
    krippendorff_alpha,
    reliability_matrix,
)

n = np.nan

# Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability (Annenberg School for
# Communication, Departmental Papers 43), section C: 4 observers x 12 units, values 1-5, with
# missing values. Published: nominal 0.743, ordinal 0.815, interval 0.849, ratio 0.797 (the
# krippendorff package's docstring reproduces nominal, ordinal and ratio).
PAPER = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, n, n, n],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, n, 3],
    [n, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, n],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, n],
]
PAPER_ALPHAS = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}

# Wikipedia, "Krippendorff's alpha", computational example (also the krippendorff package's
# docstring): 3 coders x 15 units, nominal 0.691 and interval 0.811.
WIKIPEDIA = [
    [n, n, n, n, n, 3, 4, 1, 2, 1, 1, 3, 3, n, 3],
    [1, n, 2, 1, 3, 3, 4, 3, n, n, n, n, n, n, n],
    [n, n, 2, 1, 3, 4, 4, n, 2, 1, 1, 3, 3, n, 4],
]


@pytest.mark.parametrize(("level", "expected"), PAPER_ALPHAS.items())
def test_alpha_reproduces_krippendorff_2011(level, expected):
    assert krippendorff_alpha(PAPER, level) == pytest.approx(expected, abs=5e-4)


def test_alpha_reproduces_wikipedia_example():
    assert krippendorff_alpha(WIKIPEDIA, "nominal") == pytest.approx(0.691, abs=5e-4)
    assert krippendorff_alpha(WIKIPEDIA, "interval") == pytest.approx(0.811, abs=5e-4)


def test_default_level_is_nominal_not_the_packages_interval():
    assert krippendorff_alpha(PAPER) == pytest.approx(0.743, abs=5e-4)
    assert krippendorff_alpha(PAPER) != pytest.approx(krippendorff_alpha(PAPER, "interval"), abs=1e-3)


def test_string_labels_are_encoded_for_nominal_data():
    names = {1: "very low", 2: "low", 3: "mid", 4: "high", 5: "very high"}
    labels = [[None if np.isnan(v) else names[int(v)] for v in row] for row in PAPER]
    assert krippendorff_alpha(labels) == pytest.approx(0.743, abs=5e-4)
    # A numpy string array turns NaN into "nan"; that still means "missing".
    as_strings = np.array([[str(names[int(v)]) if not np.isnan(v) else np.nan for v in row] for row in PAPER])
    assert krippendorff_alpha(as_strings) == pytest.approx(0.743, abs=5e-4)


def test_ordinal_string_labels_follow_the_given_order():
    names = {1: "very low", 2: "low", 3: "mid", 4: "high", 5: "very high"}
    labels = [[None if np.isnan(v) else names[int(v)] for v in row] for row in PAPER]
    domain = ["very low", "low", "mid", "high", "very high"]
    assert krippendorff_alpha(labels, "ordinal", value_domain=domain) == pytest.approx(0.815, abs=5e-4)
    with pytest.raises(ValueError, match="ordered value_domain"):
        krippendorff_alpha(labels, "ordinal")
    with pytest.raises(ValueError, match="numeric"):
        krippendorff_alpha(labels, "interval")


def test_transposed_matrix_gives_another_number_so_build_it_from_triples():
    transposed = np.array(PAPER).T  # units x observers: the package would not complain
    assert krippendorff_alpha(transposed) != pytest.approx(0.743, abs=0.05)
    observers, units = np.nonzero(~np.isnan(np.array(PAPER)))
    values = np.array(PAPER)[observers, units]
    # Triples in any order and with arbitrary ids give the observers x units matrix.
    shuffle = np.random.default_rng(1).permutation(len(values))
    matrix = reliability_matrix(units[shuffle] * 10 + 7, observers[shuffle] + 100, values[shuffle])
    assert matrix.shape == (4, 12)
    assert krippendorff_alpha(matrix) == pytest.approx(0.743, abs=5e-4)


def test_single_value_is_undefined_with_the_reason():
    data = [[1, 1, 1, n], [1, 1, n, 1]]
    with pytest.raises(UndefinedAgreement, match="only one value") as caught:
        krippendorff_alpha(data)
    assert isinstance(caught.value, ValueError)
    # A second value that only occurs in a unit nobody else coded does not help.
    with pytest.raises(UndefinedAgreement, match="only one value"):
        krippendorff_alpha([[1, 1, 2], [1, 1, n]])


def test_no_unit_with_two_coders_is_undefined_with_the_reason():
    with pytest.raises(UndefinedAgreement, match="two or more"):
        krippendorff_alpha([[1, n, 3], [n, 2, n]])


def test_alpha_or_undefined_never_returns_nan():
    defined = alpha_or_undefined(PAPER)
    assert defined.value == pytest.approx(0.743, abs=5e-4)
    assert defined.reason is None
    assert defined.defined
    undefined = alpha_or_undefined([[2, 2], [2, 2]])
    assert undefined.value is None
    assert undefined.reason is not None
    assert "only one value" in undefined.reason
    assert undefined.to_dict() == {"value": None, "reason": undefined.reason}
    with pytest.raises(ValueError, match="finite"):
        AlphaResult(float("nan"))


def test_alpha_rejects_unknown_levels_and_bad_shapes():
    with pytest.raises(ValueError, match="level"):
        krippendorff_alpha(PAPER, "circular")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="2-d"):
        krippendorff_alpha([1, 2, 3])


# Wikipedia, "Fleiss' kappa", worked example: 10 subjects, 14 raters, 5 categories; kappa 0.210
# (statsmodels' tests use the same table).
FLEISS_WIKIPEDIA = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]


def test_fleiss_kappa_reproduces_the_wikipedia_example():
    assert fleiss_kappa(FLEISS_WIKIPEDIA) == pytest.approx(0.20993, abs=5e-5)


def test_fleiss_kappa_needs_equal_raters_and_two_categories_in_use():
    with pytest.raises(ValueError, match="same number of raters"):
        fleiss_kappa([[1, 2], [2, 2]])
    with pytest.raises(UndefinedAgreement, match="only one value"):
        fleiss_kappa([[3, 0], [3, 0]])
    assert fleiss_kappa([[3, 0], [0, 3]]) == pytest.approx(1.0)


def test_cohen_kappa_reproduces_the_textbook_example():
    # Wikipedia, "Cohen's kappa": 50 grant proposals, both say yes 20, A yes/B no 5,
    # A no/B yes 10, both no 15: p_o = 0.7, p_e = 0.5, kappa = 0.4.
    a = ["yes"] * 20 + ["yes"] * 5 + ["no"] * 10 + ["no"] * 15
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4)


def test_cohen_kappa_matches_scikit_learn():
    rng = np.random.default_rng(3)
    a = rng.integers(0, 4, 300)
    b = np.where(rng.uniform(size=300) < 0.6, a, rng.integers(0, 4, 300))
    assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b))
    assert cohen_kappa(a.astype(str), b.astype(str)) == pytest.approx(cohen_kappa_score(a, b))


def test_cohen_kappa_is_undefined_when_one_label_is_used_throughout():
    with pytest.raises(UndefinedAgreement):
        cohen_kappa(["cat"] * 5, ["cat"] * 5)
    with pytest.raises(ValueError, match="same length"):
        cohen_kappa([1, 2], [1])
