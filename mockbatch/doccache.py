"""Parsed YAML files kept on disk by the hash of their text, so that a file read before (a spec,
a scenario) is not parsed again by the next process: libyaml takes 3-25 ms for each shipped
spec, ``marshal`` loads the same document in well under a millisecond, and a ``mockbatch serve``
or a test session reads six specs and six scenarios at start-up.

An entry is keyed by the text's hash, the parser's rules (the modification time and size of
``yamlfile.py`` and of PyYAML) and the Python version (``marshal``'s format), so a stale entry is
never read. Only documents that parsed are kept; a document that is not plain data is not kept.
The folder is ``$MOCKBATCH_CACHE_DIR`` (empty: no cache), else ``$XDG_CACHE_HOME/mockbatch``,
else ``~/.cache/mockbatch``; it holds at most :data:`MAX_ENTRIES` files (the oldest go first).
A folder that cannot be read or written only means parsing every time.

A check's verdict is kept beside the parsed file: :func:`remember_passed` notes that a text
passed a check, named by a string that holds everything the verdict depends on (the check's
code and data, see :func:`stamp`); :func:`passed` tells whether it did before. Only passing
verdicts are kept, so a text that failed is always checked again (and its problems reported).
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
from collections.abc import Callable
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

MAX_ENTRIES = 256
_SUFFIX = ".marshal"
_PASSED = ".passed"


def load(text: str, parse: Callable[[str], Any]) -> Any:
    """``parse(text)``, or what it returned for the same text before (a fresh copy)."""
    folder = cache_dir()
    if folder is None:
        return parse(text)
    path = folder / (_key(text) + _SUFFIX)
    try:
        return marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        pass
    data = parse(text)
    _store(folder, path, data)
    return data


def passed(text: str, check: str) -> bool:
    """Whether ``text`` passed ``check`` before (see :func:`remember_passed`)."""
    folder = cache_dir()
    return folder is not None and (folder / _verdict_name(text, check)).is_file()


def remember_passed(text: str, check: str) -> None:
    """Note that ``text`` passed ``check`` (a string naming the check and everything its
    verdict depends on: when any of that changes, the string must too)."""
    folder = cache_dir()
    if folder is not None:
        _write(folder, folder / _verdict_name(text, check), b"")


def stamp(*paths: Path) -> str:
    """The names, sizes and modification times of ``paths``, and of the files in those that
    are folders, at any depth (``__pycache__`` aside): what a verdict depends on, when it
    depends on code or data that may change between runs (an editable install, a provider)."""
    parts = []
    folders = [str(path) for path in paths]
    while folders:
        folder = folders.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except NotADirectoryError:
            parts.append(_stat_line(folder, Path(folder)))
            continue
        except OSError:
            parts.append(f"{folder} -")
            continue
        for entry in entries:
            if entry.is_dir():
                if entry.name != "__pycache__":
                    folders.append(entry.path)
            else:
                parts.append(_stat_line(entry.path, entry))
    return "\n".join(parts)


def _stat_line(name: str, where: Path | os.DirEntry[str]) -> str:
    try:
        found = where.stat()
    except OSError:
        return f"{name} -"
    return f"{name} {found.st_size} {found.st_mtime_ns}"


def _verdict_name(text: str, check: str) -> str:
    digest = hashlib.blake2b(_key(text).encode(), digest_size=20)
    digest.update(check.encode("utf-8", "surrogatepass"))
    return digest.hexdigest() + _PASSED


def cache_dir() -> Path | None:
    """The folder entries are kept in (None: no cache)."""
    chosen = os.environ.get("MOCKBATCH_CACHE_DIR")
    if chosen is not None:
        return Path(chosen) if chosen else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mockbatch"


def _key(text: str) -> str:
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=20)
    digest.update(_rules())
    return digest.hexdigest()


@cache
def _rules() -> bytes:
    """What else the parsed document depends on: the parser's code and marshal's format."""
    parts = [f"{sys.version_info[:2]} {marshal.version}"]
    found = find_spec("yaml")
    for origin in (Path(__file__).with_name("yamlfile.py"), found and found.origin):
        try:
            stat = os.stat(origin) if origin else None
        except OSError:
            stat = None
        parts.append(f"{origin} {stat and stat.st_mtime_ns} {stat and stat.st_size}")
    return "\n".join(parts).encode()


def _store(folder: Path, path: Path, data: Any) -> None:
    try:
        raw = marshal.dumps(data)
    except ValueError:  # not plain data: parse it every time
        return
    _write(folder, path, raw)


def _write(folder: Path, path: Path, raw: bytes) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        temporary.write_bytes(raw)
        os.replace(temporary, path)
        _prune(folder)
    except OSError:
        pass


def _prune(folder: Path) -> None:
    """Keep the newest :data:`MAX_ENTRIES` entries, verdicts counted as entries (another
    process may prune too)."""
    entries = [entry for entry in os.scandir(folder) if entry.name.endswith((_SUFFIX, _PASSED))]
    if len(entries) <= MAX_ENTRIES:
        return
    entries.sort(key=lambda entry: entry.stat().st_mtime_ns)
    for entry in entries[: len(entries) - MAX_ENTRIES]:
        try:
            os.unlink(entry.path)
        except OSError:
            pass
