"""The README's two commands: they are there, CI runs the second, the first works when fresh.

The slow test clones the repository (its committed ``HEAD``) into a temporary folder and
runs the README's first command there from a bare shell: ``env -i`` with a fresh ``HOME``
and only ``/usr/bin:/bin`` on ``PATH``, so the system ``python3`` (externally managed on
Debian and Ubuntu, no ``python`` binary) is the only Python in sight. Only pip's own
settings (``PIP_*``) and proxy variables pass through, so it reaches the same package index
as the outer install, plus pip's cache folder from the outer environment: packages are
resolved against the index as on a fresh machine, but wheels pip already built there (pyspark
comes as a 434 MB source archive) are reused instead of being built again.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SYSTEM_PYTHON = Path("/usr/bin/python3")
PROXY_VARIABLES = ("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY")


def readme_commands() -> list[str]:
    """The fenced ``bash`` commands of the README's "Set up and run" section, in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Set up and run\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section, flags=re.DOTALL)


def test_readme_has_the_two_commands() -> None:
    install, test = readme_commands()
    assert install.startswith("bash scripts/install.sh && .venv/bin/workbench scan ")
    assert "\n" not in install
    assert "activate" not in install
    assert "--out flagged.csv" in install
    assert test == "bash scripts/test.sh"


def test_ci_runs_the_readme_test_command() -> None:
    _, test = readme_commands()
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert "bash scripts/install.sh" in lines
    assert test in lines


def outer_pip_cache() -> str | None:
    """The pip cache folder of the environment running the tests, when there is one."""
    result = subprocess.run(
        [sys.executable, "-m", "pip", "cache", "dir"], capture_output=True, text=True, timeout=60
    )
    folder = result.stdout.strip()
    return folder if result.returncode == 0 and Path(folder).is_dir() else None


def bare_shell(home: Path) -> list[str]:
    """``env -i`` with a fresh home, the system PATH, pip's settings and cache, the proxy's."""
    settings = {
        name: value
        for name, value in os.environ.items()
        if name.startswith("PIP_") or name in PROXY_VARIABLES
    }
    cache = outer_pip_cache()
    if cache is not None:
        settings.setdefault("PIP_CACHE_DIR", cache)
    passed = [f"{name}={value}" for name, value in sorted(settings.items())]
    return ["/usr/bin/env", "-i", f"HOME={home}", "PATH=/usr/bin:/bin", *passed]


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_readme_first_command_on_a_fresh_clone(tmp_path: Path) -> None:
    if not SYSTEM_PYTHON.exists():
        pytest.skip(f"no system Python at {SYSTEM_PYTHON} (the test is for Debian and Ubuntu)")
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout to clone")
    install, _ = readme_commands()
    clone, home = tmp_path / "clone", tmp_path / "home"
    home.mkdir()
    subprocess.run([git, "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=300)
    try:
        result = subprocess.run(
            [*bare_shell(home), "bash", "-c", install],
            cwd=clone,
            capture_output=True,
            text=True,
            timeout=1500,
        )
        assert result.returncode == 0, result.stderr[-4000:]
        assert f"creating the project environment .venv with {SYSTEM_PYTHON}" in result.stderr
        flagged = pd.read_csv(clone / "flagged.csv")
        assert len(flagged) == 10
        assert {"slice_id", "description", "slice_error"} <= set(flagged.columns)
        assert (flagged["slice_error"] > flagged["overall_error"]).all()
        status = subprocess.run(
            [git, "status", "--porcelain"], cwd=clone, capture_output=True, text=True, check=True
        )
        assert status.stdout == "", f"the command left untracked or changed files:\n{status.stdout}"
    finally:
        # The environment is 1.7 GB; do not keep it among pytest's last temporary folders.
        shutil.rmtree(clone, ignore_errors=True)
