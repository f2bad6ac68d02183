"""Stable keyed pseudonyms for people in exports: HMAC-SHA256 of the user id under a per-project key.

The same annotator always gets the same pseudonym in one project's exports (so answers can be grouped)
and a different one in another project's; without the key a pseudonym cannot be traced back or guessed
from a list of usernames.
"""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "annotator-"
DIGITS = 16


def project_key(secret: bytes, project_id: int) -> bytes:
    return hmac.new(secret, f"aqc-pseudonym:project:{project_id}".encode(), hashlib.sha256).digest()


def pseudonym(key: bytes, user_id: int) -> str:
    digest = hmac.new(key, f"user:{user_id}".encode(), hashlib.sha256).hexdigest()
    return PREFIX + digest[:DIGITS]
