"""The official Node SDKs' tests: ``node``, with an SDK's pinned version installed by ``npm ci``.

Each SDK test has a folder (``tests/<sdk>_sdk/``) with a committed ``package-lock.json``; the
first run installs it, a later run reinstalls only when the lockfile pins another version.
Without ``node`` (or, to install, ``npm``) the test is skipped with the reason.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest


def node_with(sdk_dir: Path, package: str) -> str:
    """The path of ``node``, once ``package`` (``@trigger.dev/sdk``) is installed in ``sdk_dir``
    at the version its lockfile pins."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None:
        pytest.skip(f"node is not on PATH: the {package} test needs it")
    installed = sdk_dir / "node_modules" / package / "package.json"
    wanted = pinned(sdk_dir, package)
    if not installed.is_file() or json.loads(installed.read_text())["version"] != wanted:
        if npm is None:
            pytest.skip("npm is not on PATH: it is needed once, to install the pinned SDK")
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"],
            cwd=sdk_dir,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"npm ci failed in {sdk_dir}:\n{done.stderr}"
    return node


def pinned(sdk_dir: Path, package: str) -> str:
    """The version of ``package`` that ``sdk_dir``'s lockfile pins."""
    lock = json.loads((sdk_dir / "package-lock.json").read_text("utf-8"))
    version: str = lock["packages"][f"node_modules/{package}"]["version"]
    return version


def run_driver(
    node: str, sdk_dir: Path, base_url: str, spec: dict[str, Any], env: dict[str, str]
) -> dict[str, Any]:
    """Run ``sdk_dir``'s driver.mjs against ``base_url``; the JSON it prints (an SDK error
    fails the test)."""
    done = subprocess.run(
        [node, "driver.mjs", base_url, json.dumps(spec)],
        cwd=sdk_dir,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.stdout, f"driver printed nothing:\n{done.stderr}"
    out: dict[str, Any] = json.loads(done.stdout)
    assert done.returncode == 0, f"the SDK failed: {out.get('error')}\n{done.stderr}"
    return out
