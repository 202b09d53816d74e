"""``mockbatch serve --watch``: the user's scenario files reloaded while the server runs.

A background thread looks at each file's modification time, size and inode every
:data:`INTERVAL` seconds (polling needs no dependency and works on every file system). A file
that changed and then held still for one more look (an editor may write it in pieces) is read
again. If its text changed and it is valid, the mock serves the new version
(:meth:`Mock.reload`: what that file defines is rebuilt, the rest keeps going) and the terminal
says ``reloaded FILE``. If it is not, the last good version keeps serving, and its problems
(file, line, key path, what would be valid) are printed once and shown by the control API and
the dashboard (:meth:`Watcher.status`) until the file is fixed. In a watched folder, a new file
is loaded and a removed one stops being served.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import LoadError, Problem
from .mock import Mock
from .scenarios import SUFFIXES, Scenario, load_paths

INTERVAL = 0.5  # seconds between looks at the files
Signature = tuple[int, int, int]  # st_mtime_ns, st_size, st_ino
_NEVER: Signature = (-1, -1, -1)


def signature(path: Path) -> Signature | None:
    """How the file looks now (None: it cannot be seen)."""
    try:
        found = path.stat()
    except OSError:
        return None
    return (found.st_mtime_ns, found.st_size, found.st_ino)


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@dataclass(slots=True)
class _File:
    """One watched file: its last good version, and how it looked."""

    scenario: Scenario | None  # None: never valid yet (a new file in a watched folder)
    seen: Signature | None = _NEVER  # at the last look
    read: Signature | None = _NEVER  # when it was last read
    problems: tuple[Problem, ...] = ()


class Watcher:
    """Reloads ``paths`` (files and folders, as given to ``serve``) into ``mock`` when they
    change. :meth:`look` is one look (the thread calls it every ``interval`` seconds; tests
    call it directly, with a ``stat`` of their own). ``serves`` are the APIs the server serves;
    ``check`` is what each file's provider finds wrong with it; ``say`` prints a line for
    the terminal."""

    def __init__(
        self,
        mock: Mock,
        paths: Sequence[str | Path],
        *,
        serves: Collection[str],
        check: Callable[[Scenario], list[Problem]],
        interval: float = INTERVAL,
        stat: Callable[[Path], Signature | None] = signature,
        say: Callable[[str], None] = _say,
    ) -> None:
        self.mock, self.serves, self.check = mock, set(serves), check
        self.paths = [Path(p) for p in paths]
        self.interval, self.stat, self.say = interval, stat, say
        self._listed: dict[Path, list[Path]] = {}
        watched = self._expand()
        by_source = {s.source: s for s in mock.loaded}
        self._files = {path: _File(by_source.get(str(path))) for path in watched}
        names = {str(path) for path in watched}
        self._fixed = [s for s in mock.loaded if s.source not in names]  # e.g. --with-defaults
        self._problems: list[str] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mockbatch-watch", daemon=True)

    def status(self) -> dict[str, Any]:
        """What the control API and the dashboard show: the paths watched and the problems
        of the files not reloaded (``file:line: key.path: message (valid: ...)``)."""
        return {"paths": [str(p) for p in self.paths], "problems": list(self._problems)}

    def look(self) -> bool:
        """Look at the files once; reload what changed. True when the mock was reloaded."""
        watched = self._expand()
        changed = self._forget([path for path in self._files if path not in watched])
        for path in watched:
            file = self._files.setdefault(path, _File(None))
            now, before = self.stat(path), file.seen
            file.seen = now
            if now == before and now != file.read:  # changed, then held still for a look
                file.read = now
                changed |= self._read(path, file)
        if changed:
            self.mock.reload(self._served())
        self._problems = [str(p) for f in self._files.values() for p in f.problems]
        return changed

    def _expand(self) -> list[Path]:
        """The files the paths name now, in the order ``serve`` loaded them; a folder that
        cannot be listed keeps its last listing (its files then report themselves missing)."""
        files: dict[Path, None] = {}
        for path in self.paths:
            if path.is_dir():
                try:
                    listed = sorted(p for p in path.iterdir() if p.suffix in SUFFIXES)
                    self._listed[path] = [p for p in listed if p.is_file()]
                except OSError:
                    pass
            files.update(dict.fromkeys(self._listed.get(path, [path])))
        return list(files)

    def _forget(self, gone: list[Path]) -> bool:
        """Files no longer in a watched folder: no longer served."""
        served = False
        for path in gone:
            scenario = self._files.pop(path).scenario
            if scenario is not None and scenario.api in self.serves:
                self.say(f"mockbatch: {path} is gone: its scenario is no longer served")
                served = True
        return served

    def _read(self, path: Path, file: _File) -> bool:
        """Read a changed file; True when what the mock serves changed."""
        try:
            [new] = load_paths([path], check=self.check)
        except LoadError as exc:
            return self._refused(path, file, tuple(exc.problems))
        old = file.scenario
        was_served = old is not None and old.api in self.serves
        if new.api not in self.serves and was_served:
            valid = ", ".join(sorted(self.serves))
            problem = new.problem(["api"], f"this server does not serve the {new.api!r} API", valid)
            return self._refused(path, file, (problem,))
        fixed, file.problems = bool(file.problems), ()
        same = old is not None and old.text == new.text  # touched, or put back as it was
        if not same:
            file.scenario = new
        if new.api in self.serves and (fixed or not same):
            verb = "reloaded" if old is not None else "loaded"
            self.say(f"mockbatch: {verb} {path}: {new.api} scenario {new.name!r}")
        return not same and (was_served or new.api in self.serves)

    def _refused(self, path: Path, file: _File, problems: tuple[Problem, ...]) -> bool:
        """The new version is invalid: said once; the last good one keeps serving."""
        if problems != file.problems:
            kept = "the last good version keeps serving" if file.scenario else "it is not served"
            self.say(f"mockbatch: {path} not reloaded ({kept}):")
            for problem in problems:
                self.say(str(problem))
        file.problems = problems
        return False

    def _served(self) -> list[Scenario]:
        listed = [f.scenario for f in self._files.values() if f.scenario is not None]
        return [*self._fixed, *(s for s in listed if s.api in self.serves)]

    def _run(self) -> None:
        while not self._stopping.wait(self.interval):
            self.look()

    def start(self) -> Watcher:
        """Look every ``interval`` seconds in a background thread, until :meth:`stop`."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop looking; returns once the thread has ended (a look under way finishes)."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join()
