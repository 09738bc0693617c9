"""``workbench app``: the Voilà command, the notebook it serves, and a busy port."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

import workbench as wb
from workbench.app import serve
from workbench.app._serve import CONFIG_DIR, _write_notebook, find_notebook, voila_command

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
    command = voila_command(tmp_path / "app.ipynb", 9123)
    assert command[:3] == [sys.executable, "-m", "voila"]
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
