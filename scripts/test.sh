#!/usr/bin/env bash
# Run the test suite with the project environment that scripts/install.sh made (.venv/);
# arguments go to pytest, e.g. `bash scripts/test.sh tests/search -x`.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
  echo "test.sh: error: expected the project environment .venv (made by scripts/install.sh); got none; fix: bash scripts/install.sh" >&2
  exit 2
fi
# The environment's tools (workbench, jupyter, voila) first on PATH, as activation would.
PATH="$(pwd -P)/.venv/bin:${PATH}"
export PATH
exec .venv/bin/python -m pytest "$@"
