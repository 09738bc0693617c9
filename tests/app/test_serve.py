"""``workbench app``: the Voilà command, the notebook it serves, and a busy port."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import nbformat
import psutil
import pytest

import workbench as wb
from workbench.app import serve
from workbench.app._serve import CONFIG_DIR, _write_notebook, find_notebook, voila_command
from workbench.app._voila import host_is_local, origin_allowed

ROOT = Path(__file__).resolve().parents[2]


def test_finds_the_repository_notebook() -> None:
    assert find_notebook() == ROOT / "notebooks" / "00_audit_app.ipynb"


def test_the_notebook_is_thin(tmp_path: Path) -> None:
    """The served notebook (and its stand-in for wheels) only builds the app."""
    for path in (find_notebook(), _write_notebook(tmp_path)):
        assert path is not None
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        code = [c.source for c in nb.cells if c.cell_type == "code"]
        assert len(code) == 1
        assert "from workbench.app import AuditApp" in code[0]
        assert code[0].rstrip().endswith("AuditApp()")


def test_voila_command(tmp_path: Path) -> None:
    command = voila_command(
        tmp_path / "app.ipynb", 9123, max_kernels=3, idle_minutes=5, closed_seconds=20
    )
    assert command[:4] == [sys.executable, "-m", "workbench.app._voila", "--max-kernels=3"]
    assert "--closed-seconds=20" in command  # a closed tab's kernel ends 20 s later
    assert "--MappingKernelManager.cull_idle_timeout=300" in command
    assert "--MappingKernelManager.cull_connected=True" in command
    assert "--port=9123" in command and "--Voila.ip=127.0.0.1" in command
    assert "--Voila.port_retries=0" in command
    assert f"--Voila.config_file_paths={CONFIG_DIR}" in command
    config = json.loads((CONFIG_DIR / "voila.json").read_text())
    assert config["MappingKernelManager"]["cull_idle_timeout"] >= 300
    assert config["Voila"]["tornado_settings"]["websocket_max_message_size"] > 200_000_000


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_busy_port_is_a_clear_error(busy_port: int) -> None:
    with pytest.raises(wb.ParameterError, match=f"Port {busy_port} on 127.0.0.1 is already in use"):
        serve(port=busy_port, open_browser=False)


@pytest.mark.parametrize("port", [0, 70000])
def test_port_out_of_range(port: int) -> None:
    with pytest.raises(wb.ParameterError, match="between 1 and 65535"):
        serve(port=port, open_browser=False)


def test_cli_busy_port(busy_port: int) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "workbench", "app", "--port", str(busy_port), "--no-browser"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "already in use" in result.stderr and "--port N" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"max_kernels": 0}, "max_kernels (--max-kernels) must be between 1 and 64"),
        ({"idle_minutes": 0}, "idle_minutes (--idle-minutes) must be between 1 and 1440"),
        ({"closed_seconds": 0}, "closed_seconds (--closed-seconds) must be between 1 and 86400"),
    ],
)
def test_limits_out_of_range(kwargs: dict[str, int], fragment: str) -> None:
    with pytest.raises(wb.ParameterError, match=re.escape(fragment)):
        serve(port=8866, open_browser=False, **kwargs)


@pytest.mark.parametrize(
    ("host", "origin", "allowed"),
    [
        ("127.0.0.1:8866", None, True),
        ("localhost:8866", "http://localhost:8866", True),
        ("[::1]:8866", None, True),
        ("evil.example", None, False),
        ("evil.example:8866", "http://evil.example:8866", False),
        ("127.0.0.1.evil.example", None, False),
        ("127.0.0.1:8866", "http://evil.example", False),
        ("127.0.0.1:8866", "null", False),
        (None, None, False),
    ],
)
def test_host_and_origin_rules(host: str | None, origin: str | None, allowed: bool) -> None:
    assert (host_is_local(host) and origin_allowed(origin, host)) is allowed


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with opener.open(request, timeout=120) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def _kernels(pid: int) -> int:
    parent = psutil.Process(pid)
    return sum("ipykernel" in " ".join(p.cmdline()) for p in parent.children(recursive=True))


def test_served_app_needs_the_token_and_a_local_host(tmp_path: Path) -> None:
    """The token is in the printed URL; no token, a foreign Host or Origin: refused, and no
    kernel starts. With --max-kernels 1 a second session is refused as busy."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    log = tmp_path / "app.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "workbench", "app", "--no-browser"),
                *("--port", str(port), "--max-kernels", "1"),
            ],
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 90
        while (
            found := re.search(r"running at (http://\S+\?token=(\S+))", log.read_text())
        ) is None:
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        url, token = found.group(1), found.group(2)
        base = f"http://127.0.0.1:{port}/"
        assert len(token) >= 32 and token not in " ".join(psutil.Process(process.pid).cmdline())
        status, _ = _get(base)
        assert status == 302  # to the login page
        assert _get(base + f"?token=wrong{token}")[0] == 302
        assert _get(url, {"Host": "evil.example"})[0] == 403
        assert _get(url, {"Host": f"attacker.example:{port}"})[0] == 403
        for _ in range(3):
            assert _get(url, {"Origin": "http://evil.example"})[0] == 403
        assert _kernels(process.pid) == 0
        status, page = _get(url)
        assert status == 200, page[-2000:]
        assert _kernels(process.pid) == 1
        status, page = _get(url)
        assert status == 503 and "busy" in page and "--max-kernels" in page
        assert _kernels(process.pid) == 1
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
