"""Validation of text that PostgreSQL must be able to store."""

import re

# NUL cannot be stored in a PostgreSQL text column, and a lone UTF-16 surrogate (which JSON's
# \uD800 escapes can produce) cannot be encoded as UTF-8, so both would fail in the database
# instead of being rejected as invalid input.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

# The JSON schema states the NUL rule. Surrogates stay out of it, because a schema pattern
# cannot tell a lone surrogate from half of a pair in every regex dialect.
NO_NUL_SCHEMA = {"pattern": r"^[^\x00]*$"}


def reject_unstorable(text: str) -> str:
    """Return the text unchanged; raise ValueError if it has NUL or unpaired surrogates."""
    if _UNSTORABLE.search(text):
        raise ValueError("must not contain NUL characters or unpaired surrogates")
    return text
