#!/usr/bin/env bash
# Install Slice Workbench with every extra, the test tools, and the system packages the
# browser, speech, image and Spark tests use (Debian: chromium, espeak-ng, sox, Java 17).
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages="chromium espeak-ng sox libsox-fmt-all openjdk-17-jre-headless"
missing=""
for cmd in chromium espeak-ng sox java; do
  command -v "$cmd" >/dev/null 2>&1 || missing="yes"
done
if [ -n "$missing" ] && command -v apt-get >/dev/null 2>&1; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  echo "installing system packages: $apt_packages" >&2
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq $apt_packages >/dev/null
fi

python -m pip install --quiet --upgrade pip
python -m pip install --quiet -e ".[all,dev]"
echo "slice-workbench installed: $(python -c 'import workbench; print(workbench.__version__)')" >&2
