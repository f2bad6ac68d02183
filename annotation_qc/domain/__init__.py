"""Pure quality-control logic over numpy.

Nothing in this package imports Django; it is tested without a database
(``tests/domain/test_purity.py`` proves the rule).
"""
