"""OpenAI (``/openai``): the Files and Batch API of api.openai.com, as the official SDKs read it.

``wire`` holds the service's vocabulary and limits; ``auth`` the key check; ``checks`` the
request checks; ``form`` multipart uploads; ``files`` stored files; ``inputs`` validates a
batch's input file and makes its items; ``status`` derives a batch's status; ``bodies`` the
per-endpoint response bodies; ``results`` the output and error files; ``batches`` the Batch
object; ``webhooks`` signed events; ``scenario`` checks OpenAI scenarios; ``provider`` serves
the routes.
"""

from __future__ import annotations

from .provider import OpenaiProvider

__all__ = ["OpenaiProvider"]
