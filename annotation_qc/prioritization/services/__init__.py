"""Prioritisation: start a run, score items in chunks (fanned out over workers), activate."""
