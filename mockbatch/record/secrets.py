"""Keeping secrets out of a recorded scenario.

Requests are never written, only what the API says about batches; still, an input or an
answer can hold a credential (an echoed key, a webhook secret). :class:`Secrets` remembers every
secret value a client sent (the values of the headers the journal masks: Authorization, API
keys, iVvy's ``IWS key:signature``...) and the names of secret-looking body fields; :meth:`scrub`
replaces each of them wherever it appears by :data:`PLACEHOLDER`, and :meth:`summary` says what
was dropped, for the file's header.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

PLACEHOLDER = "<redacted by mockbatch record>"
MIN_SECRET = 6  # shorter fragments ("Bearer", a key ID of 3 letters) are not worth hunting


@dataclass(slots=True)
class Secrets:
    """Secret values and where they were seen."""

    values: set[str] = field(default_factory=set)
    headers: set[str] = field(default_factory=set)  # names of the headers that carried them
    fields: set[str] = field(default_factory=set)  # names of body fields replaced

    def note_headers(self, headers: Mapping[str, str], is_secret: Callable[[str], bool]) -> None:
        """Remember the secrets among a request's headers (names lower-case)."""
        for name, value in headers.items():
            if not is_secret(name) or not value:
                continue
            self.headers.add(name)
            self.values.update(_fragments(value))

    def note_body(self, body: Any) -> None:
        """Remember the values of a request body's secret-looking fields (``webhookSecret``)."""
        if isinstance(body, dict):
            for key, value in body.items():
                if _secret_key(key) and isinstance(value, str) and value:
                    self.fields.add(key)
                    self.values.update(_fragments(value))
                else:
                    self.note_body(value)
        elif isinstance(body, list):
            for value in body:
                self.note_body(value)

    def scrub(self, data: Any) -> Any:
        """``data`` with every secret value, and every secret-looking field's value, replaced."""
        if isinstance(data, dict):
            out = {}
            for key, value in data.items():
                if _secret_key(key) and isinstance(value, str) and value:
                    self.fields.add(key)
                    out[key] = PLACEHOLDER
                else:
                    out[key] = self.scrub(value)
            return out
        if isinstance(data, list):
            return [self.scrub(value) for value in data]
        if isinstance(data, str):
            for secret in sorted(self.values, key=len, reverse=True):
                if secret in data:
                    data = data.replace(secret, PLACEHOLDER)
        return data

    def summary(self) -> list[str]:
        """What was dropped, one line each (for the file's header comment)."""
        lines = []
        if self.headers:
            names = ", ".join(sorted(self.headers))
            lines.append(f"dropped: the values of the headers {names} (never written)")
        if self.fields:
            names = ", ".join(sorted(self.fields))
            lines.append(f"replaced by {PLACEHOLDER!r}: the values of the fields {names}")
        if self.values:
            lines.append(f"any other place a secret was sent reads {PLACEHOLDER!r}")
        return lines or ["no secrets were sent"]


SECRET_ENDINGS = ("secret", "token", "password", "signature", "apikey", "authorization")


def _secret_key(key: str) -> bool:
    """A field named like a credential: ``webhookSecret``, ``api_key``, ``accessToken``."""
    flat = key.lower().replace("_", "").replace("-", "")
    return flat.endswith(SECRET_ENDINGS)


def _fragments(value: str) -> set[str]:
    """A header's value and the parts of it that are secret on their own: the credential
    after a scheme (``Bearer xyz``), and both halves of ``key:signature``."""
    found = {value.strip()}
    scheme, space, credential = value.strip().partition(" ")
    if space and scheme.isalpha():
        found.add(credential.strip())
    for part in list(found):
        found.update(p for p in part.split(":") if p)
    return {f for f in found if len(f) >= MIN_SECRET}
