"""Writes for the labeling app, split by concept: imports, dispatch, submission."""
