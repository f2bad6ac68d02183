"""Data health: checks on incoming data, outliers, drift between batches, coverage and pseudonyms.

Pure numpy/scipy/scikit-learn, no Django: the ``datahealth`` app reads rows, calls these functions and
stores what they return.

- :mod:`.images`: image statistics (brightness, contrast, sharpness, colour histogram, blank detection).
- :mod:`.hashing`: perceptual hashes (dHash, pHash) and a vectorised Hamming near-duplicate search.
- :mod:`.config`: the per-project check configuration (checks, thresholds, actions) and its validation.
- :mod:`.expectations`: the checks themselves, one boolean mask per check over a batch.
- :mod:`.outliers`: isolation-forest outlier scores.
- :mod:`.drift`: a batch against a reference (KS, Anderson-Darling, corrections, effect sizes).
- :mod:`.coverage`: counts over labels and attributes against targets, and the priority boost.
- :mod:`.pseudonyms`: stable keyed pseudonyms for people in exports.
"""
