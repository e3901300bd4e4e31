#!/usr/bin/env bash
# Set up archiver on a fresh Debian/Ubuntu machine, then archive the sample article
# from a local replica of the platform, end to end.
#
#   ./setup.sh            install everything, then run the demo
#   ./setup.sh --no-demo  install only
#
# Installs: Debian's chromium-headless-shell (the browser archiver prefers), certutil (libnss3-tools), fonts,
# redis-server (the broker of distributed capture),
# ffmpeg (its ffprobe checks every video before it is kept; the tests' replica encodes its videos with
# ffmpeg), a virtual environment in .venv with archiver and its test dependencies. yt-dlp's
# JavaScript runtime for YouTube comes with those: the `deno` wheel (Debian's nodejs is older
# than the node 22 yt-dlp needs), with yt-dlp-ejs, its challenge solver, so nothing is
# downloaded at run time.
set -euo pipefail
cd "$(dirname "$0")"

demo=1
[ "${1:-}" = "--no-demo" ] && demo=0

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }

need=()
command -v chromium-headless-shell >/dev/null || need+=(chromium-headless-shell)
command -v certutil >/dev/null || need+=(libnss3-tools)
{ command -v ffprobe >/dev/null && command -v ffmpeg >/dev/null; } || need+=(ffmpeg)
command -v openssl >/dev/null || need+=(openssl)  # the tests' TSA (openssl ts -reply), and checking tokens by hand
command -v redis-server >/dev/null || need+=(redis-server)  # the broker of distributed capture (archiver worker), and its tests
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]} (apt)"
  if ! { as_root apt-get update -q >/dev/null && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null; }; then
    echo "could not install ${need[*]}: run as root, or install them yourself" >&2
    exit 1
  fi
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv"
  "$python" -m venv .venv
fi
echo "== installing archiver into .venv"
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
# pywb, the independent replayer the WACZ export is tested with, pins redis-py 2.10 and fakeredis < 1:
# it cannot share .venv with Celery's Redis client, so it gets a virtual environment of its own.
if [ ! -x .venv-pywb/bin/python ] || ! .venv-pywb/bin/python -c 'import pywb' 2>/dev/null; then
  echo "== installing pywb into .venv-pywb (a test tool)"
  "$python" -m venv .venv-pywb
  .venv-pywb/bin/python -m pip install -q --disable-pip-version-check 'pywb>=2.10'
fi
.venv/bin/archiver doctor

[ "$demo" = 1 ] || exit 0
exec .venv/bin/python -m tests.fakeplatform.demo
