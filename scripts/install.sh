#!/usr/bin/env bash
# Install Slice Workbench with every extra and the test tools into the project's virtual
# environment .venv/ (git-ignored), plus the system packages the package and its tests use.
#
# Works from a bare Debian 12 / Ubuntu 24.04 shell with the system python3 (no `python`,
# PEP 668 "externally managed", maybe no venv or pip): it runs apt-get (through sudo when
# not root) for the missing packages below, then creates .venv with the first python3 >= 3.10
# it finds and installs the package there. In an active virtualenv or conda environment it
# installs into that environment instead and links .venv to it, so the README's commands
# (.venv/bin/workbench, scripts/test.sh) use it too.
#
# Environment: PYTHON=/path/to/python3 picks the interpreter for .venv;
# WORKBENCH_SKIP_APT=1 leaves system packages alone.
set -Eeuo pipefail
cd "$(dirname "$0")/.."

# System packages (Debian/Ubuntu names), one list: add what the package or its tests need.
APT_PACKAGES=(
  python3 python3-venv python3-pip # the interpreter and the project environment
  chromium                         # the browser tests drive Debian's Chromium
  espeak-ng sox libsox-fmt-all     # the speech sample and its tests
  pocketsphinx-testdata alsa-utils # real speech clips for the audio regression tests
  openjdk-17-jre-headless          # Java 17 for the Spark backend
)
# The package's extras to install (pyproject.toml).
EXTRAS="all,dev"
VENV=.venv

step="starting"
say() { echo "install.sh: $*" >&2; }
die() {
  say "error: $*"
  exit 1
}
trap 'status=$?; say "error: failed while ${step} (exit status ${status}): ${BASH_COMMAND}"; exit "$status"' ERR

# --- system packages ---------------------------------------------------------------------
installed() { [ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null)" = "ii " ]; }
available() {
  local policy
  policy="$(apt-cache policy "$1" 2>/dev/null)" || return 1
  [[ "$policy" == *"Candidate: "[!\(]* ]]
}

step="checking system packages"
if [ -n "${WORKBENCH_SKIP_APT:-}" ]; then
  say "WORKBENCH_SKIP_APT is set: not installing system packages (${APT_PACKAGES[*]})"
elif command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  missing=()
  for package in "${APT_PACKAGES[@]}"; do
    installed "$package" || missing+=("$package")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    sudo_cmd=()
    if [ "$(id -u)" -ne 0 ]; then
      command -v sudo >/dev/null 2>&1 ||
        die "expected root or sudo to install system packages (${missing[*]}); got neither; fix: run as root, install them yourself, or set WORKBENCH_SKIP_APT=1"
      sudo_cmd=(sudo)
    fi
    step="updating the apt package lists (apt-get update)"
    say "installing system packages: ${missing[*]}"
    "${sudo_cmd[@]}" apt-get update -qq
    to_install=()
    for package in "${missing[@]}"; do
      if available "$package"; then
        to_install+=("$package")
      else
        say "warning: ${package} is not available from apt here; the tests that need it are skipped"
      fi
    done
    if [ "${#to_install[@]}" -gt 0 ]; then
      step="installing system packages (apt-get install ${to_install[*]})"
      "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${to_install[@]}" >/dev/null
    fi
  fi
else
  say "no apt-get here: not installing system packages (${APT_PACKAGES[*]}); install their equivalents yourself"
fi

# --- the Python environment --------------------------------------------------------------
step="finding Python"
recent_enough() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 10))' >/dev/null 2>&1; }

active=""
if [ -n "${VIRTUAL_ENV:-}" ]; then
  active="$VIRTUAL_ENV"
  kind="virtual environment"
elif [ -n "${CONDA_PREFIX:-}" ]; then
  active="$CONDA_PREFIX"
  kind="conda environment"
fi

if [ -n "$active" ] && [ "$(cd "$active" 2>/dev/null && pwd -P || echo "$active")" != "$(pwd -P)/${VENV}" ]; then
  python="${active}/bin/python"
  [ -x "$python" ] || die "expected a Python at ${python} (active ${kind}); got none; fix: deactivate it or repair it"
  recent_enough "$python" ||
    die "expected Python >= 3.10 in the active ${kind} ${active}; got $("$python" --version 2>&1); fix: use an environment with Python >= 3.10"
  say "using the active ${kind} ${active} (not creating ${VENV})"
  if [ -L "$VENV" ] || [ ! -e "$VENV" ]; then
    ln -sfn "$active" "$VENV"
    say "${VENV} now points to ${active}"
  else
    say "warning: ${VENV} is another environment; the README's ${VENV}/bin commands use it, not ${active}"
  fi
else
  if [ ! -L "$VENV" ] && [ -x "${VENV}/bin/python" ] && recent_enough "${VENV}/bin/python"; then
    say "reusing the project environment ${VENV} ($("${VENV}/bin/python" --version 2>&1))"
  else
    base=""
    for candidate in ${PYTHON:-} python3 python3.13 python3.12 python3.11 python3.10 python; do
      if command -v "$candidate" >/dev/null 2>&1 && recent_enough "$candidate"; then
        base="$(command -v "$candidate")"
        break
      fi
    done
    [ -n "$base" ] ||
      die "expected python3 >= 3.10 on PATH; got $(command -v python3 >/dev/null 2>&1 && python3 --version 2>&1 || echo none); fix: apt-get install python3 (or set PYTHON=/path/to/python3)"
    "$base" -c 'import ensurepip, venv' >/dev/null 2>&1 ||
      die "expected ${base} to have the venv and ensurepip modules; got none; fix: apt-get install python3-venv (or python$("$base" -c 'import sys; print("%d.%d" % sys.version_info[:2])')-venv)"
    step="creating the project environment ${VENV} with ${base}"
    [ -L "$VENV" ] && rm "$VENV"
    say "creating the project environment ${VENV} with ${base} ($("$base" --version 2>&1))"
    "$base" -m venv --clear "$VENV"
  fi
  python="${VENV}/bin/python"
fi

# --- the package -------------------------------------------------------------------------
step="upgrading pip in $(dirname "$(dirname "$python")")"
"$python" -m pip install --quiet --disable-pip-version-check --upgrade pip
step="installing slice-workbench[${EXTRAS}] (pip install -e .[${EXTRAS}])"
say "installing slice-workbench[${EXTRAS}] (a few minutes the first time)"
"$python" -m pip install --quiet --disable-pip-version-check -e ".[${EXTRAS}]"
step="checking the installation"
version="$("$python" -c 'import workbench; print(workbench.__version__)')"
say "slice-workbench ${version} installed; run ${VENV}/bin/workbench, and the tests with bash scripts/test.sh"
