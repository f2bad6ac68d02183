"""Uncertainty sampling on one model's class probabilities ``(n, k)``.

Every function returns ``(n,)`` float scores where **higher means label it sooner**:

* :func:`least_confidence`: ``1 - max_c p_c``, in ``[0, 1 - 1/k]``;
* :func:`margin`: ``1 - (p_1 - p_2)`` with ``p_1 >= p_2`` the two largest probabilities, in
  ``[0, 1]`` (1 when the top two tie). With a single class column the runner-up is 0, so the
  score is 0;
* :func:`entropy`: Shannon entropy ``-sum_c p_c ln p_c`` in nats (``0 ln 0 = 0``), in ``[0, ln k]``.

Probabilities are checked first (:func:`~.validation.as_probabilities`) and rejected with
:class:`~.validation.InvalidProbabilities` when a row is not a distribution.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import entr

from annotation_qc.domain.active_learning.validation import FloatArray, as_probabilities


def least_confidence(proba: ArrayLike) -> FloatArray:
    """``1 - max_c p_c`` per row: how far the top class is from certain."""
    array = as_probabilities(proba)
    result: FloatArray = 1.0 - array.max(axis=1)
    return result


def margin(proba: ArrayLike) -> FloatArray:
    """``1 - (p_1 - p_2)`` per row: 1 when the two best classes tie, 0 for a one-hot row."""
    array = as_probabilities(proba)
    if array.shape[1] == 1:
        return 1.0 - array[:, 0]
    top_two = np.partition(array, array.shape[1] - 2, axis=1)[:, -2:]
    return 1.0 - (top_two[:, 1] - top_two[:, 0])


def entropy(proba: ArrayLike) -> FloatArray:
    """Shannon entropy of each row in nats: ``ln k`` for a uniform row, 0 for a one-hot row."""
    array = as_probabilities(proba)
    return row_entropy(array)


def row_entropy(distributions: FloatArray) -> FloatArray:
    """Entropy along the last axis of already checked distributions (no validation)."""
    result: FloatArray = entr(distributions).sum(axis=-1)
    return result
