"""Query by committee: disagreement among ``m`` members' class probabilities ``(m, n, k)``.

Both scores are ``(n,)`` floats where higher means label it sooner, and both are 0 when every
member says the same thing:

* :func:`vote_entropy`: each member votes for its most probable class (ties go to the first
  class column); the score is the entropy, in nats, of the vote shares. It lies in
  ``[0, ln min(m, k)]``.
* :func:`consensus_kl`: the consensus is the members' mean distribution; the score is the mean
  over members of ``KL(member || consensus)`` in nats (the generalised Jensen-Shannon
  divergence), in ``[0, ln m]``. Unlike vote entropy it sees disagreement in confidence, not only
  in the winning class.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import rel_entr

from annotation_qc.domain.active_learning.uncertainty import row_entropy
from annotation_qc.domain.active_learning.validation import FloatArray, as_committee_probabilities


def vote_entropy(committee_proba: ArrayLike) -> FloatArray:
    """Entropy of the members' hard votes per item."""
    array = as_committee_probabilities(committee_proba)
    members, items, classes = array.shape
    votes = array.argmax(axis=2)  # (m, n)
    flat = (np.arange(items, dtype=np.int64) * classes + votes).ravel()
    counts = np.bincount(flat, minlength=items * classes).reshape(items, classes)
    return row_entropy(counts / members)


def consensus_kl(committee_proba: ArrayLike) -> FloatArray:
    """Mean KL divergence of each member from the consensus (the members' mean) per item."""
    array = as_committee_probabilities(committee_proba)
    return mean_kl_from_consensus(array)


def consensus(committee_proba: ArrayLike) -> FloatArray:
    """The committee's consensus distribution ``(n, k)``: the mean over members."""
    array = as_committee_probabilities(committee_proba)
    result: FloatArray = array.mean(axis=0)
    return result


def mean_kl_from_consensus(checked: FloatArray) -> FloatArray:
    """:func:`consensus_kl` on an already checked ``(m, n, k)`` array.

    Every consensus entry is at least ``p / m`` of each member's entry, so no division by zero
    occurs where a member puts mass.
    """
    mean = checked.mean(axis=0)
    divergences = rel_entr(checked, mean[np.newaxis]).sum(axis=2)  # (m, n)
    result: FloatArray = divergences.mean(axis=0)
    return result
