#!/usr/bin/env bash
# Fetch the real photographs and recordings the regression tests use (none is committed:
# their licences do not all allow shipping copies). Idempotent.
#   - Debian packages pocketsphinx-testdata (real read speech with transcripts, BSD) and
#     alsa-utils (eight 48 kHz voice clips) when apt-get is available;
#   - the sample images inside the insightface wheel (a six-person group photo among them),
#     unpacked from `pip download --no-deps insightface`; the package is not installed.
set -euo pipefail
python="${PYTHON:-python3}"
target="${WORKBENCH_REAL_MEDIA:-$HOME/.cache/slice-workbench/real-media}"
mkdir -p "$target/insightface"

if command -v apt-get >/dev/null 2>&1 && [ ! -f /usr/share/pocketsphinx/test/data/cards/001.wav ]; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq pocketsphinx-testdata alsa-utils >/dev/null
fi

if [ ! -f "$target/insightface/t1.jpg" ]; then
  tmp="$(mktemp -d)"
  "$python" -m pip download --no-deps --quiet -d "$tmp" insightface
  "$python" - "$tmp" "$target/insightface" <<'PY'
import sys, zipfile, pathlib
wheel = next(pathlib.Path(sys.argv[1]).glob("insightface-*.whl"))
out = pathlib.Path(sys.argv[2])
with zipfile.ZipFile(wheel) as archive:
    for name in archive.namelist():
        if name.startswith("insightface/data/images/"):
            (out / pathlib.Path(name).name).write_bytes(archive.read(name))
PY
  rm -rf "$tmp"
fi
echo "real media in $target"
