#!/usr/bin/env bash
# Create or update the project's virtual environment (.venv) and the system packages the PDFs
# and the browser test need. Safe to run again: it only installs what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.requirements.sha256
want=$(cat requirements.txt pyproject.toml | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -r requirements.txt
  .venv/bin/python -m pip install --quiet --no-deps -e .
  echo "$want" > "$stamp"
fi

# System packages: a CJK font for the PDFs (DejaVu has no Chinese, Japanese or Korean glyphs), and
# for the browser test Debian's Chromium (never a browser downloaded by Playwright).
packages=()
[ -f /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf ] || packages+=(fonts-droid-fallback)
if [ "${1:-}" = "--browser" ] && [ ! -x /usr/bin/chromium ]; then packages+=(chromium); fi
if [ ${#packages[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null; then
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -q
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${packages[@]}"
  else
    echo "setup: please install ${packages[*]} (no apt-get here); PDFs need the CJK font for CJK text" >&2
  fi
fi

# LibreOffice Impress, headless, for the test that opens personas.pptx (its recommends are large).
if [ "${1:-}" = "--browser" ] && ! command -v soffice >/dev/null; then
  if command -v apt-get >/dev/null; then
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -q
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends libreoffice-impress-nogui
  else
    echo "setup: please install LibreOffice Impress (no apt-get here); tests/test_pptx.py needs soffice" >&2
  fi
fi
