"""Install the Echo provider (``tests/thirdparty/mockbatch_echo``) the way a user's package
would be: a distribution whose ``entry_points.txt`` registers it in ``mockbatch.providers``.

The distribution is a ``.dist-info`` folder written into a temporary folder put on
``sys.path`` (importlib.metadata finds it there); subprocesses get both folders through
``PYTHONPATH``. Nothing in mockbatch names Echo.

With ``MOCKBATCH_TEST_ECHO=1`` the suite's conftest installs it before collecting, so every test
parametrised over the registry runs for Echo too (``tests/test_thirdparty.py`` runs the
cross-cutting tests that way).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
ENTRY_POINTS = "[mockbatch.providers]\necho = mockbatch_echo:EchoProvider\n"
METADATA = "Metadata-Version: 2.1\nName: mockbatch-echo\nVersion: 0.1\n"
FLAG = "MOCKBATCH_TEST_ECHO"


def install() -> Path:
    """Write the dist-info, put it and the package on ``sys.path`` and ``PYTHONPATH``; the
    folder holding the dist-info."""
    site = Path(tempfile.mkdtemp(prefix="mockbatch-echo-"))
    info = site / "mockbatch_echo-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(METADATA)
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    sys.path[:0] = [str(HERE), str(site)]
    inherited = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    os.environ["PYTHONPATH"] = os.pathsep.join([str(HERE), str(site), *inherited])
    _forget()
    return site


@contextmanager
def installed() -> Iterator[Path]:
    """Echo installed for the ``with`` block only."""
    saved_path, saved_env = list(sys.path), os.environ.get("PYTHONPATH")
    site = install()
    try:
        yield site
    finally:
        sys.path[:] = saved_path
        if saved_env is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved_env
        shutil.rmtree(site, ignore_errors=True)
        _forget()


def _forget() -> None:
    from mockbatch import registry

    registry.clear()
