import numpy as np
import pytest

from annotation_qc.domain.active_learning import (
    InvalidFeatures,
    distance_to_nearest,
    diverse_top_k,
    k_center_greedy,
    promote_to_front,
    top_indices,
)

CENTRES = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0], [5.0, 20.0]])


def planted_clusters(per_cluster=20, seed=0):
    """Five tight clusters; cluster 0 holds every one of the 20 best scores."""
    rng = np.random.default_rng(seed)
    cluster = np.repeat(np.arange(len(CENTRES)), per_cluster)
    features = CENTRES[cluster] + rng.normal(scale=0.3, size=(len(cluster), 2))
    scores = rng.uniform(0.0, 0.5, size=len(cluster))
    scores[cluster == 0] += 0.5
    order = rng.permutation(len(cluster))
    return scores[order], features[order], cluster[order]


def test_plain_top_k_fills_the_batch_from_one_cluster():
    scores, _, cluster = planted_clusters()
    assert set(cluster[top_indices(scores, 5)]) == {0}


def test_diverse_top_k_takes_the_best_of_each_planted_cluster():
    scores, features, cluster = planted_clusters()
    picked = diverse_top_k(scores, features, 5, candidate_factor=20, seed=0)
    assert len(picked) == 5
    assert set(cluster[picked]) == {0, 1, 2, 3, 4}
    for index in picked:
        same = cluster == cluster[index]
        assert scores[index] == scores[same].max()
    # Cluster winners come best first, so the first pick is the overall best item.
    assert picked[0] == np.argmax(scores)
    assert list(scores[picked]) == sorted(scores[picked], reverse=True)


def test_candidates_are_limited_to_the_top_k_times_factor():
    scores, features, _ = planted_clusters()
    # The best 10 items all sit in cluster 0, so the batch can only come from there.
    picked = diverse_top_k(scores, features, 2, candidate_factor=5)
    assert set(picked) <= set(top_indices(scores, 10))


def test_duplicates_still_fill_the_batch_with_the_next_best():
    features = np.ones((30, 3))
    scores = np.linspace(0.0, 1.0, 30)
    picked = diverse_top_k(scores, features, 4, candidate_factor=3)
    assert len(set(picked)) == 4
    assert list(picked) == [29, 28, 27, 26]


def test_small_inputs():
    scores = np.array([0.2, 0.9, 0.5])
    features = np.arange(6.0).reshape(3, 2)
    assert list(diverse_top_k(scores, features, 5)) == [1, 2, 0]
    assert diverse_top_k(scores, features, 0).shape == (0,)
    with pytest.raises(ValueError, match="2 scores for 3 feature rows"):
        diverse_top_k(scores[:2], features, 1)
    with pytest.raises(InvalidFeatures):
        diverse_top_k(scores, np.full((3, 2), np.nan), 1)


def test_top_indices_breaks_ties_by_lower_index():
    assert list(top_indices(np.array([0.5, 0.9, 0.5, 0.9, 0.1]), 3)) == [1, 3, 0]


def test_k_center_greedy_covers_the_planted_clusters():
    _, features, cluster = planted_clusters()
    picked = k_center_greedy(features, 5, seed=1)
    assert len(set(cluster[picked])) == 5
    # Anchored at a labeled item of cluster 0, the first pick is as far from it as possible.
    anchored = k_center_greedy(features, 4, anchors=features[cluster == 0][:1])
    assert 0 not in set(cluster[anchored])
    assert cluster[anchored[0]] == 4  # the farthest centre from (0, 0)


def test_distance_to_nearest_known_values():
    anchors = np.array([[0.0, 0.0], [10.0, 0.0]])
    features = np.array([[3.0, 4.0], [10.0, 1.0], [5.0, 0.0]], dtype=np.float32)
    np.testing.assert_allclose(distance_to_nearest(features, anchors), [5.0, 1.0, 5.0], atol=1e-9)
    with pytest.raises(InvalidFeatures, match="anchors have 3 columns, expected 2"):
        distance_to_nearest(features, np.zeros((1, 3)))


def test_promote_to_front_puts_the_batch_first_in_its_order():
    scores = np.array([0.9, 0.1, 0.5, 0.7])
    promoted = promote_to_front(scores, [2, 1])
    assert list(np.argsort(-promoted)) == [2, 1, 0, 3]
    np.testing.assert_array_equal(promoted[[0, 3]], scores[[0, 3]])
    with pytest.raises(ValueError, match="must not repeat"):
        promote_to_front(scores, [1, 1])
