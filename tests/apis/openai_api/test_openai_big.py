"""A 50,000-request input file: accepted, its batch completed and its output file served, with
the requests held once (the input's bytes), never as parsed lines or stored output."""

from __future__ import annotations

import httpx

from mockbatch import VirtualClock
from mockbatch.mock import Mock

from .helpers import API, KEY, batch, until_terminal

COUNT = 50_000


def test_a_50000_line_input_is_held_once(
    client: httpx.Client, mock: Mock, clock: VirtualClock
) -> None:
    body = '"body":{"model":"m","input":"x"}'
    template = '{"custom_id":"r%d","method":"POST","url":"/v1/embeddings",' + body + "}"
    data = "\n".join(template % n for n in range(COUNT)).encode()

    created = batch(client, data, "/v1/embeddings")
    seen = until_terminal(client, clock, created["id"])
    done = seen[-1]
    output = client.get(f"{API}/files/{done['output_file_id']}/content", headers=KEY)

    assert [s["status"] for s in seen] == ["validating", "in_progress", "in_progress", "completed"]
    assert done["request_counts"] == {"total": COUNT, "completed": COUNT, "failed": 0}
    assert output.content.count(b"\n") == COUNT
    stored = mock.engine.get("openai", created["id"])
    upload = mock.engine.get("openai", created["input_file_id"])
    assert stored is not None and upload is not None
    assert stored.cache["openai.input"] is upload.cache["openai.content"]  # one copy of the bytes
    specs = {id(stored.items.spec(i)) for i in range(len(stored.items))}
    assert len(specs) == 2  # every request shares one item spec (plus the finalizer)
    assert not any(isinstance(v, bytes) and len(v) > len(data) for v in stored.cache.values())
