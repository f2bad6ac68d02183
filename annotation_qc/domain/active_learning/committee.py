"""A seeded committee of diverse classifiers trained on the labeled items' features.

Member ``i`` is built from family ``FAMILIES[i % 5]`` (logistic regression, extra trees, Gaussian
naive Bayes, random forest, shrunk linear discriminant analysis) on its own bootstrap sample of
the labeled rows. A bootstrap sample can miss a rare class: that member then predicts over the
classes it saw and its columns are placed by class, so every member answers over the
committee's full, fixed class list (probability 0 for classes it never saw). A sample with fewer
than two classes is replaced by the full labeled set for that member.

While there are too few labels (fewer than ``min_labels``) or fewer than two distinct classes,
nothing is trained: the committee carries a :class:`FallbackReason` and a small sample of the
labeled features (``anchors``) so the strategies can fall back to feature-space coverage or to
import order and say so (:func:`annotation_qc.domain.active_learning.strategies.resolve_strategy`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from annotation_qc.domain.active_learning.members import (
    FAMILIES,
    Features,
    ProbabilityModel,
    single_threaded_blas,
)
from annotation_qc.domain.active_learning.validation import FloatArray, IntArray, as_features

#: Fewer labeled items than this and the committee is not trained.
MIN_LABELS = 10
#: Rows kept from the labeled features for the feature-space fallback.
MAX_ANCHORS = 256
#: Default number of rows predicted at once.
CHUNK_SIZE = 50_000


class FallbackReason(StrEnum):
    """Why no committee was trained."""

    TOO_FEW_LABELS = "too_few_labels"
    TOO_FEW_CLASSES = "too_few_classes"


class CommitteeUnavailable(RuntimeError):
    """Asked for predictions from a committee that fell back instead of training."""


@dataclass(frozen=True, eq=False)
class Member:
    """One trained committee member."""

    family: str
    #: Committee class columns present in this member's training sample (sorted).
    class_columns: IntArray
    #: Rows of the labeled set this member was trained on (its bootstrap sample).
    sample: IntArray
    model: ProbabilityModel
    n_classes: int

    def predict_proba(self, features: Features) -> FloatArray:
        """Probabilities ``(n, k)`` over the committee's full class list."""
        own = self.model.predict_proba(features)
        if len(self.class_columns) == self.n_classes:
            return own
        full = np.zeros((own.shape[0], self.n_classes), dtype=np.float64)
        full[:, self.class_columns] = own
        return full


@dataclass(frozen=True, eq=False)
class Committee:
    """Trained members (or a fallback) over a fixed class list."""

    classes: NDArray[Any]
    members: tuple[Member, ...]
    n_features: int
    n_labels: int
    n_labeled_classes: int
    min_labels: int
    fallback: FallbackReason | None
    #: Up to :data:`MAX_ANCHORS` labeled feature rows (seeded sample), for the coverage fallback.
    anchors: FloatArray

    @property
    def is_trained(self) -> bool:
        return self.fallback is None

    @property
    def families(self) -> tuple[str, ...]:
        return tuple(member.family for member in self.members)

    @property
    def fallback_message(self) -> str | None:
        """Why the committee is not trained, in words, or None when it is."""
        if self.fallback is FallbackReason.TOO_FEW_LABELS:
            return f"only {self.n_labels} labeled items, a committee needs at least {self.min_labels}"
        if self.fallback is FallbackReason.TOO_FEW_CLASSES:
            return f"the labeled items cover {self.n_labeled_classes} class(es), a committee needs at least 2"
        return None

    def predict_proba(self, features: ArrayLike, *, chunk_size: int = CHUNK_SIZE) -> FloatArray:
        """Every member's probabilities, ``(m, n, k)``, predicted ``chunk_size`` rows at a time."""
        if self.fallback is not None:
            raise CommitteeUnavailable(f"no committee was trained: {self.fallback_message}")
        rows = as_features(features, n_features=self.n_features)
        result = np.empty((len(self.members), rows.shape[0], len(self.classes)), dtype=np.float64)
        with single_threaded_blas():
            for start in range(0, rows.shape[0], chunk_size):
                chunk = rows[start : start + chunk_size]
                for index, member in enumerate(self.members):
                    result[index, start : start + chunk.shape[0]] = member.predict_proba(chunk)
        return result

    def consensus_proba(self, features: ArrayLike, *, chunk_size: int = CHUNK_SIZE) -> FloatArray:
        """The members' mean probabilities, ``(n, k)``."""
        result: FloatArray = self.predict_proba(features, chunk_size=chunk_size).mean(axis=0)
        return result

    def predict(self, features: ArrayLike) -> NDArray[Any]:
        """The consensus's most probable class per row, as class values."""
        predicted: NDArray[Any] = self.classes[self.consensus_proba(features).argmax(axis=1)]
        return predicted


def train_committee(
    features: ArrayLike,
    labels: ArrayLike,
    *,
    n_members: int = 5,
    seed: int = 0,
    classes: Sequence[Any] | NDArray[Any] | None = None,
    min_labels: int = MIN_LABELS,
) -> Committee:
    """Train ``n_members`` diverse members on bootstrap samples of the labeled rows.

    ``classes`` fixes the class list and its column order (e.g. the project's label set, which
    may hold classes nobody has labeled yet); by default it is the sorted distinct labels. The same
    ``seed`` and inputs give the same committee and the same predictions.
    """
    if n_members < 1:
        raise ValueError(f"n_members must be at least 1, got {n_members}")
    rows = as_features(features, name="labeled features")
    label_values = np.asarray(labels)
    if label_values.ndim != 1 or label_values.shape[0] != rows.shape[0]:
        raise ValueError(
            f"labels must be 1-D with one label per feature row ({rows.shape[0]}), "
            f"got shape {label_values.shape}"
        )
    class_values, label_columns = _encode_labels(label_values, classes)
    rng = np.random.default_rng(seed)
    anchor_rows = rng.permutation(rows.shape[0])[:MAX_ANCHORS]
    n_labeled_classes = len(np.unique(label_columns))
    fallback = None
    if rows.shape[0] < min_labels:
        fallback = FallbackReason.TOO_FEW_LABELS
    elif n_labeled_classes < 2:
        fallback = FallbackReason.TOO_FEW_CLASSES
    members: tuple[Member, ...] = ()
    if fallback is None:
        with single_threaded_blas():
            members = tuple(
                _train_member(index, rows, label_columns, len(class_values), rng)
                for index in range(n_members)
            )
    return Committee(
        classes=class_values,
        members=members,
        n_features=rows.shape[1],
        n_labels=rows.shape[0],
        n_labeled_classes=n_labeled_classes,
        min_labels=min_labels,
        fallback=fallback,
        anchors=np.asarray(rows[np.sort(anchor_rows)], dtype=np.float64),
    )


def _encode_labels(
    labels: NDArray[Any], classes: Sequence[Any] | NDArray[Any] | None
) -> tuple[NDArray[Any], IntArray]:
    """The class list and each label's column in it."""
    if classes is None:
        class_values, columns = np.unique(labels, return_inverse=True)
        return class_values, columns.astype(np.int64)
    class_values = np.asarray(classes)
    if class_values.ndim != 1 or len(class_values) == 0:
        raise ValueError("classes must be a non-empty list")
    if len(np.unique(class_values)) != len(class_values):
        raise ValueError("classes must not repeat")
    order = np.argsort(class_values, kind="stable")
    positions = np.searchsorted(class_values[order], labels)
    positions = np.clip(positions, 0, len(class_values) - 1)
    known = class_values[order][positions] == labels
    if labels.size and not np.all(known):
        unknown = labels[np.argmin(known)].item()
        raise ValueError(f"label {unknown!r} is not one of the classes {class_values.tolist()}")
    return class_values, order[positions].astype(np.int64)


def _train_member(
    index: int, rows: Features, label_columns: IntArray, n_classes: int, rng: np.random.Generator
) -> Member:
    family = list(FAMILIES)[index % len(FAMILIES)]
    sample: IntArray = np.asarray(rng.integers(0, rows.shape[0], size=rows.shape[0]), dtype=np.int64)
    member_seed = int(rng.integers(2**31 - 1))
    if len(np.unique(label_columns[sample])) < 2:
        sample = np.arange(rows.shape[0], dtype=np.int64)
    sample_labels = label_columns[sample]
    model = FAMILIES[family](rows[sample], sample_labels, member_seed)
    return Member(
        family=family,
        class_columns=np.unique(sample_labels),
        sample=sample,
        model=model,
        n_classes=n_classes,
    )
