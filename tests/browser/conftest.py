"""Servers and a browser for the tests that drive the explorer in real Chromium.

One server at a time (module-scoped fixtures), each on a free port with
``port_retries=0``, started in its own session and stopped with ``os.killpg``
(which also reaps its kernels). The browser is Debian's Chromium; Playwright
never downloads one. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "01_quickstart.ipynb"
ARTIFACTS = ROOT / "test-artifacts"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_ready(
    url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"The server exited early:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:
            if response.status == 200:
                return
        time.sleep(0.3)
    raise TimeoutError(
        f"The server at {url} was not ready after {timeout} s:\n{log.read_text()[-3000:]}"
    )


@contextlib.contextmanager
def serve(
    command: list[str], probe: str, cwd: Path, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "WORKBENCH_SAMPLE_DATA": str(ROOT / "sample_data"),
        "PYTHONUNBUFFERED": "1",
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        try:
            wait_until_ready(probe, process, log)
            yield process
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="module")
def served_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temporary folder holding a copy of the notebook (servers autosave into what they serve)."""
    folder = tmp_path_factory.mktemp("served")
    shutil.copy(NOTEBOOK, folder / NOTEBOOK.name)
    return folder


@pytest.fixture(scope="module")
def voila_url(served_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("logs") / "voila.log"
    command = [
        sys.executable,
        "-m",
        "voila",
        NOTEBOOK.name,
        "--no-browser",
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        "--Voila.port_retries=0",
        "--VoilaExecutor.timeout=90",
    ]
    with serve(command, f"http://127.0.0.1:{port}/voila/static/voila.js", served_copy, log):
        yield f"http://127.0.0.1:{port}/"


@pytest.fixture(scope="module")
def lab_url(served_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    token = uuid.uuid4().hex
    log = tmp_path_factory.mktemp("logs") / "lab.log"
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={served_copy}",
        "--ServerApp.allow_root=True",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ]
    with serve(command, f"http://127.0.0.1:{port}/api/status?token={token}", served_copy, log):
        # A fresh workspace per run, so JupyterLab restores no old tabs.
        workspace = uuid.uuid4().hex[:8]
        yield (
            f"http://127.0.0.1:{port}/lab/workspaces/{workspace}/tree/{NOTEBOOK.name}"
            f"?token={token}&reset"
        )


@pytest.fixture(scope="module")
def voila_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Serve a folder of notebooks with one Voilà; returns ``start(folder) -> base URL``."""
    with contextlib.ExitStack() as stack:

        def start(folder: Path, extra: tuple[str, ...] = ()) -> str:
            port = free_port()
            log = tmp_path_factory.mktemp("logs") / "voila-folder.log"
            command = [
                sys.executable,
                "-m",
                "voila",
                str(folder),
                "--no-browser",
                f"--port={port}",
                "--Voila.ip=127.0.0.1",
                "--Voila.port_retries=0",
                "--VoilaExecutor.timeout=120",
                *extra,
            ]
            probe = f"http://127.0.0.1:{port}/voila/static/voila.js"
            stack.enter_context(serve(command, probe, folder, log))
            return f"http://127.0.0.1:{port}/voila/render/"

        yield start


@pytest.fixture(scope="module")
def lab_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Serve a folder with one JupyterLab; returns ``start(folder) -> (base URL, token)``."""
    with contextlib.ExitStack() as stack:

        def start(folder: Path) -> tuple[str, str]:
            port = free_port()
            token = uuid.uuid4().hex
            log = tmp_path_factory.mktemp("logs") / "lab-folder.log"
            command = [
                sys.executable,
                "-m",
                "jupyterlab",
                "--no-browser",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={port}",
                "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={token}",
                f"--ServerApp.root_dir={folder}",
                "--ServerApp.allow_root=True",
                "--LabApp.news_url=None",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                "--LabApp.extension_manager=readonly",
            ]
            probe = f"http://127.0.0.1:{port}/api/status?token={token}"
            stack.enter_context(serve(command, probe, folder, log))
            return f"http://127.0.0.1:{port}/", token

        yield start


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1360, "height": 900}, accept_downloads=True)
    pg = context.new_page()
    # first loads of a Voila kernel can take a minute on a busy 2-core machine
    pg.set_default_timeout(120_000)
    try:
        yield pg
    finally:
        context.close()
