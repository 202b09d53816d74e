"""A big file's lines are made only while the client is there: a client that hangs up once it
has the first lines (the kept head, or a chunk of made ones) costs no more line, and one that
hangs up while the first chunks are made costs a few more (:data:`TURNS` looks of lines).

The hang-up is a real socket closing, seen by the event loop as uvicorn sees it, so the count
depends on the order the loop runs things in, never on how long anything takes."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mockbatch.apis import STEP, TURNS
from mockbatch.apis.linefile import HEAD_BYTES, Head, stream

LINE = b'{"custom_id":"r","result":{"type":"succeeded"}}' + b"-" * 250 + b"\n"
COUNT = 2_000  # lines in the file (600 KB): far more than the head and the first chunks


def hang_up_after(wanted: int, head: Head | None, *, making: int | None = None) -> tuple[int, int]:
    """Send the file to a client that hangs up once it has ``wanted`` bytes (or, with
    ``making``, while the server makes that line, counted from 0): (lines made when it hung
    up, lines made in all)."""
    made: list[int] = []
    hang_up: list[Callable[[], None]] = []

    def lines(start: int) -> Iterator[tuple[int, bytes]]:
        for index in range(start, COUNT):
            made.append(index)
            if len(made) - 1 == making:  # the first line made is 0
                hang_up[0]()
            yield index + 1, LINE

    cache: dict[str, Any] = {} if head is None else {"file": head}
    body = stream(cache, "file", lines, threading.Lock())
    got: list[int] = []
    hung: list[int] = []

    async def run() -> None:
        loop = asyncio.get_running_loop()
        ours, theirs = socket.socketpair()
        ours.setblocking(False)

        async def receive() -> dict[str, Any]:  # uvicorn: a disconnect once the socket closes
            await loop.sock_recv(ours, 1)
            return {"type": "http.disconnect"}

        def close() -> None:
            if not hung:
                theirs.close()
                hung.append(len(made))

        hang_up.append(close)

        async def send(message: dict[str, Any]) -> None:
            got.append(len(message["body"]))
            if sum(got) >= wanted:
                close()

        try:
            await body.send(send, receive)
        finally:
            ours.close()
            theirs.close()

    asyncio.run(run())
    assert hung, f"the client never had {wanted} bytes: {sum(got)}"
    return hung[0], len(made)


def kept_head() -> Head:
    lines = HEAD_BYTES // len(LINE)
    return Head(LINE * lines, lines)


def test_a_client_that_hangs_up_after_the_kept_head_costs_no_line() -> None:
    at_hang_up, made = hang_up_after(HEAD_BYTES // len(LINE) * len(LINE), kept_head())

    assert at_hang_up == 0
    assert made == 0


def test_a_client_that_hangs_up_after_a_chunk_costs_no_line() -> None:
    at_hang_up, made = hang_up_after(100 * len(LINE), None)  # a first download: no head kept

    assert at_hang_up == made > 100


@pytest.mark.parametrize("making", [0, 3, 10, 40])
def test_a_client_that_hangs_up_while_lines_are_made_costs_a_few_looks(making: int) -> None:
    """While the first chunks grow (to 16 KiB), the server looks at its client every STEP
    bytes of lines: a hang-up is seen within TURNS looks, as the loop orders things."""
    at_hang_up, made = hang_up_after(COUNT * len(LINE), kept_head(), making=making)

    assert at_hang_up == making + 1
    assert made - at_hang_up <= TURNS * (STEP // len(LINE) + 1), made
