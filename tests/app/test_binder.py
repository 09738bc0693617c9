"""Binder installs everything the notebooks and the app import.

Imports are parsed from the notebooks' code cells and the app's modules with
``ast``, mapped to distributions with ``importlib.metadata``, and checked against
the dependency closure of ``binder/requirements.txt`` plus this package with the
extras ``binder/postBuild`` installs (read from ``pyproject.toml``). The closure is
computed from the installed distributions' metadata, so only packages installed
here can be followed; that is what the notebooks run with in the tests too.
"""

from __future__ import annotations

import ast
import functools
import importlib.metadata as md
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[2]
BINDER = ROOT / "binder"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
APP_MODULES = sorted((ROOT / "workbench" / "app").glob("*.py"))
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def postbuild_extras() -> list[str]:
    text = (BINDER / "postBuild").read_text()
    match = re.search(r'pip install[^\n]*-e\s+"?\.\[([a-z,]+)\]"?', text)
    assert match, "binder/postBuild must install this repository with extras: -e '.[...]'"
    return match.group(1).split(",")


def top_level_imports(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def notebook_imports(path: Path) -> set[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        # IPython magics and shell escapes are not Python.
        lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        names |= top_level_imports("\n".join(lines))
    return names


@functools.cache
def provided_by_binder() -> frozenset[str]:
    return frozenset(closure(binder_requirements()))


@functools.cache
def import_to_distributions() -> dict[str, list[str]]:
    return dict(md.packages_distributions())


def closure(requirements: Iterable[str]) -> set[str]:
    """Canonical names of the distributions the requirements pull in (installed ones)."""
    seen: set[str] = set()
    todo = [(Requirement(r), ()) for r in requirements]
    while todo:
        req, _ = todo.pop()
        name = canonicalize_name(req.name)
        key = name + "[" + ",".join(sorted(req.extras)) + "]"
        if key in seen:
            continue
        seen.add(key)
        seen.add(name)
        if name == "slice-workbench":
            deps = list(PROJECT["dependencies"])
            for extra in req.extras:
                deps += [
                    d
                    for d in PROJECT["optional-dependencies"].get(extra, [])
                    if not d.startswith("slice-workbench")
                ]
        else:
            try:
                declared = md.distribution(name).requires or []
            except md.PackageNotFoundError:
                continue
            deps = []
            for text in declared:
                dep = Requirement(text)
                extras = set(req.extras) | {""}
                if dep.marker is None or any(dep.marker.evaluate({"extra": e}) for e in extras):
                    deps.append(text)
        todo += [(Requirement(d), ()) for d in deps]
    return {n for n in seen if "[" not in n}


def binder_requirements() -> list[str]:
    lines = (BINDER / "requirements.txt").read_text().splitlines()
    reqs = [ln.split("#")[0].strip() for ln in lines]
    extras = ",".join(postbuild_extras())
    return [r for r in reqs if r] + [f"slice-workbench[{extras}]"]


def test_binder_files() -> None:
    assert (BINDER / "runtime.txt").read_text().strip() == "python-3.11"
    assert postbuild_extras() == ["app", "audio", "bounty", "image"]
    postbuild = (BINDER / "postBuild").read_text()
    # PyPI's 'workbench' is an unrelated project: never install it by that name.
    assert not re.search(r"pip install[^\n]*\sworkbench(\s|$)", postbuild)
    names = {canonicalize_name(Requirement(r).name) for r in binder_requirements()}
    assert {"voila", "jupyterlab", "ipywidgets"} <= names
    start = BINDER / "start"
    if start.exists():
        assert start.read_text().rstrip().endswith('exec "$@"')


def test_binder_config_culls_idle_kernels_but_not_too_soon() -> None:
    config = json.loads((BINDER / "jupyter_server_config.json").read_text())
    culling = config["MappingKernelManager"]
    assert culling["cull_idle_timeout"] >= 300
    assert culling["cull_connected"] is False  # an open app tab is never culled
    limit = config["ServerApp"]["tornado_settings"]["websocket_max_message_size"]
    assert limit > 200_000_000  # the app accepts uploads up to 200 MB
    assert "jupyter_server_config.json" in (BINDER / "postBuild").read_text()


@pytest.mark.parametrize(
    "source",
    [*NOTEBOOKS, *APP_MODULES],
    ids=[p.relative_to(ROOT).as_posix() for p in [*NOTEBOOKS, *APP_MODULES]],
)
def test_imports_are_installed_by_binder(source: Path) -> None:
    if source.suffix == ".ipynb":
        names = notebook_imports(source)
    else:
        names = top_level_imports(source.read_text(encoding="utf-8"))
    third_party = sorted(n for n in names - {"workbench"} if n not in sys.stdlib_module_names)
    provided = provided_by_binder()
    mapping = import_to_distributions()
    missing = {}
    for name in third_party:
        dists = {canonicalize_name(d) for d in mapping.get(name, [])}
        if not dists:
            missing[name] = "not installed here, so it cannot be mapped to a distribution"
        elif not dists & provided:
            missing[name] = f"from {sorted(dists)}, not in binder/ nor the package's extras"
    assert not missing, f"{source.name} imports packages Binder does not install: {missing}"


def test_closure_follows_extras() -> None:
    provided = provided_by_binder()
    for name in ("duckdb", "plotly", "anywidget", "soundfile", "pillow", "voila", "ipykernel"):
        assert name in provided


@pytest.mark.skipif(shutil.which("repo2docker") is None, reason="repo2docker is not installed")
def test_repo2docker_dockerfile() -> None:
    """repo2docker reads binder/ (Python 3.11, requirements, postBuild) without a build."""
    result = subprocess.run(
        ["repo2docker", "--no-build", "--debug", "--no-run", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "conda environment for python=3.11" in output, output[-3000:]
    assert "binder/requirements.txt" in output
    assert "binder/postBuild" in output
