"""``workbench app``: serve the audit app with Voilà on 127.0.0.1 until Ctrl-C.

Finds ``notebooks/00_audit_app.ipynb`` (next to the bundled samples or the package,
as in a checkout or an editable install); in an installed wheel, where the
notebook is not shipped, it writes the same two-line notebook to a temporary
folder. Voilà runs as a child process (``workbench.app._voila``, which adds the
Host/Origin checks and the limit on live kernels) with the settings in ``voila.json``
next to this module (larger websocket messages for uploads). A fresh random token is
handed to it in the environment and printed in the app's URL, as Jupyter does; requests
without it are refused. Imports the standard library and ``workbench.samples``.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import webbrowser
from pathlib import Path

from workbench.exceptions import MissingExtraError, ParameterError, WorkbenchError

__all__ = ["APP_NOTEBOOK", "find_notebook", "serve", "voila_command"]

APP_NOTEBOOK = "00_audit_app.ipynb"
HOST = "127.0.0.1"
CONFIG_DIR = Path(__file__).resolve().parent

_NOTEBOOK_SOURCE = "from workbench.app import AuditApp\n\nAuditApp()"


def find_notebook() -> Path | None:
    """The app notebook of a checkout or editable install, or None when not found."""
    candidates = []
    try:
        from workbench.samples import sample_data_dir

        candidates.append(sample_data_dir().parent / "notebooks" / APP_NOTEBOOK)
    except WorkbenchError:
        pass
    candidates.append(Path(__file__).resolve().parents[2] / "notebooks" / APP_NOTEBOOK)
    return next((c for c in candidates if c.is_file()), None)


def _write_notebook(folder: Path) -> Path:
    notebook = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": "audit-app",
                "metadata": {},
                "outputs": [],
                "source": _NOTEBOOK_SOURCE,
            }
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = folder / APP_NOTEBOOK
    path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    return path


def voila_command(
    notebook: Path,
    port: int,
    *,
    max_kernels: int = 4,
    idle_minutes: float = 30,
    closed_seconds: float = 60,
) -> list[str]:
    """The command line that serves ``notebook`` with Voilà on 127.0.0.1:``port``.

    At most ``max_kernels`` sessions live at once; a session without activity for
    ``idle_minutes`` is shut down (also while its tab is open), and a session whose tab
    was closed (or reloaded: a reload starts a new session) ``closed_seconds`` after that.
    """
    return [
        sys.executable,
        "-m",
        "workbench.app._voila",
        f"--max-kernels={int(max_kernels)}",
        f"--closed-seconds={float(closed_seconds):g}",
        str(notebook),
        "--no-browser",
        f"--port={port}",
        f"--Voila.ip={HOST}",
        "--Voila.port_retries=0",
        f"--Voila.config_file_paths={CONFIG_DIR}",
        "--VoilaExecutor.timeout=120",
        f"--MappingKernelManager.cull_idle_timeout={round(idle_minutes * 60)}",
        "--MappingKernelManager.cull_interval=30",
        "--MappingKernelManager.cull_connected=True",
    ]


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> bool:
    # A static asset, not "/": fetching "/" would run the notebook in a new kernel.
    # Any HTTP answer (even an error status) means the server is listening.
    probe = url + "voila/static/voila.js"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(probe, timeout=2):
                return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            time.sleep(0.3)
    return False


def serve(
    port: int = 8866,
    open_browser: bool = True,
    *,
    max_kernels: int = 4,
    idle_minutes: float = 30,
    closed_seconds: float = 60,
) -> int:
    """Serve the audit app with Voilà on ``http://127.0.0.1:PORT/?token=...`` until Ctrl-C.

    Parameters
    ----------
    port : int
        The port to listen on (127.0.0.1 only).
    open_browser : bool
        Open the app in the default web browser once it is ready.
    max_kernels : int
        Sessions (browser tabs, each a Python kernel of several hundred MB) open at once
        at most; more are refused with "busy".
    idle_minutes : float
        A session without activity for this long is shut down.
    closed_seconds : float
        A session is shut down this long after its browser tab closed (or reloaded), which
        frees its kernel's memory; a connection that drops and comes back in time keeps it.

    Returns
    -------
    int
        0 after Ctrl-C; Voilà's exit status if it stops by itself.

    Raises
    ------
    ParameterError
        When the port is outside 1–65535 or already in use, or the limits are not positive.
    MissingExtraError
        When Voilà is not installed.
    """
    if not 0 < int(port) < 65536:
        raise ParameterError(f"The port must be between 1 and 65535. Got {port} instead.")
    if not 1 <= int(max_kernels) <= 64:
        raise ParameterError(
            f"max_kernels (--max-kernels) must be between 1 and 64. Got {max_kernels} instead."
        )
    if not 1 <= float(idle_minutes) <= 24 * 60:
        raise ParameterError(
            "idle_minutes (--idle-minutes) must be between 1 and 1440 (a day). "
            f"Got {idle_minutes} instead."
        )
    if not 1 <= float(closed_seconds) <= 24 * 3600:
        raise ParameterError(
            "closed_seconds (--closed-seconds) must be between 1 and 86400 (a day). "
            f"Got {closed_seconds} instead."
        )
    try:
        import voila  # noqa: F401
    except ImportError:
        raise MissingExtraError.for_extra("app", "The audit app", "voila") from None
    if not _port_free(port):
        raise ParameterError(
            f"Port {port} on {HOST} is already in use (another app or server?). "
            "Pick another one with --port N."
        )
    with tempfile.TemporaryDirectory(prefix="workbench-app-") as scratch:
        notebook = find_notebook() or _write_notebook(Path(scratch))
        url = f"http://{HOST}:{port}/"
        token = secrets.token_urlsafe(24)
        from workbench.app._voila import TOKEN_VARIABLE

        process = subprocess.Popen(
            voila_command(
                notebook,
                port,
                max_kernels=max_kernels,
                idle_minutes=idle_minutes,
                closed_seconds=closed_seconds,
            ),
            env={**os.environ, TOKEN_VARIABLE: token},
        )
        try:
            if _wait_ready(url, process):
                url = f"{url}?token={token}"
                sys.stdout.write(f"The audit app is running at {url}  (press Ctrl-C to stop)\n")
                sys.stdout.flush()
                if open_browser:
                    webbrowser.open(url)
            return process.wait()
        except KeyboardInterrupt:
            sys.stdout.write("\nstopping the audit app\n")
            return 0
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
