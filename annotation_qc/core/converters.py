"""Path converters: what a URL may carry where the API expects a database id.

Django's ``int`` converter takes any run of digits, so ``/items/99999999999999999999/`` reached the
database and failed there (a 500: the number does not fit a 64-bit column), and ``/items/007/``
served item 7 under a second address. Every integer in the API's paths is a primary key of a
``BigAutoField``: ``id`` accepts only the canonical spelling of a positive 64-bit integer (no sign,
no leading zeros, at most ``2**63 - 1``). Anything else matches no route, so the request falls
through to ``api_not_found``: a JSON 404 naming the path, before any view or query runs.
"""

from __future__ import annotations

#: The largest value of PostgreSQL's ``bigint`` (and SQLite's integer), so of every id the API serves.
MAX_ID = 2**63 - 1


class IdConverter:
    """``<id:project_id>``: a positive 64-bit integer in its canonical form, as an ``int``."""

    regex = "[1-9][0-9]{0,18}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValueError(f"{value} is above the largest id")  # no match: the URL resolver moves on
        return number

    def to_url(self, value: int | str) -> str:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise ValueError(f"{value} is not an id")
        return str(number)
