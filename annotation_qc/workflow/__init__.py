"""The annotator loop's orchestration, above the labeling, linting and benchmarks apps.

``dispatch_pipeline`` serves tasks and prepares the next one; ``submit_pipeline`` validates,
lints, stores, then (off the request) scores, samples for review and updates consensus. The apps
below never call up into this package; the APIs call it.
"""
