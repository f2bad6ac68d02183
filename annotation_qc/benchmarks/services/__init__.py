"""Benchmark services: the gold set, benchmark dispatch and scoring."""
