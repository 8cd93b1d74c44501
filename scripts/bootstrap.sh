#!/usr/bin/env bash
# All local set-up, idempotent: the Python venv with pinned dependencies and the npm dev tools
# (Azurite, the Cosmos DB emulator). Re-runs only the steps whose inputs changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
if ! command -v "$PYTHON" >/dev/null 2>&1; then PYTHON=python3; fi
"$PYTHON" -c 'import sys; assert (3, 11) <= sys.version_info[:2] < (3, 13), "Python 3.11 or 3.12 is required"'

mkdir -p .datawave
stamp() { cat "$@" | sha256sum | cut -d' ' -f1; }

if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv" >&2
  "$PYTHON" -m venv .venv
fi
py_inputs=(requirements.txt requirements-dev.txt constraints.txt)
if [ "$(stamp "${py_inputs[@]}")" != "$(cat .venv/.datawave-stamp 2>/dev/null || true)" ]; then
  echo "bootstrap: installing Python dependencies" >&2
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
  stamp "${py_inputs[@]}" > .venv/.datawave-stamp
fi

# The classification fast path collects Hyperscan matches in C (core/classification/native/hs_lines.c,
# loaded with ctypes) against the system Hyperscan/Vectorscan library (Debian: libvectorscan-dev).
# Without it the pattern pass uses the hyperscan wheel: same hits, ~1.7x slower.
if [ ! -f /usr/include/hs/hs.h ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "bootstrap: installing the Hyperscan library (Debian package libvectorscan-dev)" >&2
  { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libvectorscan-dev >&2; } \
    || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libhyperscan-dev >&2 || true
fi
hs_src=core/classification/native/hs_lines.c
hs_lib=core/classification/native/_hs_lines.so
if [ ! -f "$hs_lib" ] || [ "$(stamp "$hs_src")" != "$(cat .datawave/hs_lines.stamp 2>/dev/null || true)" ]; then
  if command -v gcc >/dev/null 2>&1 && [ -f /usr/include/hs/hs.h ] \
    && gcc -O2 -shared -fPIC -o "$hs_lib.tmp" "$hs_src" -lhs >&2; then
    mv "$hs_lib.tmp" "$hs_lib"
    stamp "$hs_src" > .datawave/hs_lines.stamp
  else
    echo "bootstrap: could not build $hs_lib (needs gcc and libvectorscan-dev); the fast path uses the hyperscan wheel" >&2
  fi
fi

# The column model's character n-grams are counted in C (core/classification/native/ngrams.c, loaded
# with ctypes; it needs only gcc). Without it FastCharTfidf counts with numpy: same features, slower.
ng_src=core/classification/native/ngrams.c
ng_lib=core/classification/native/_ngrams.so
if [ ! -f "$ng_lib" ] || [ "$(stamp "$ng_src")" != "$(cat .datawave/ngrams.stamp 2>/dev/null || true)" ]; then
  if command -v gcc >/dev/null 2>&1 && gcc -O2 -shared -fPIC -o "$ng_lib.tmp" "$ng_src" >&2; then
    mv "$ng_lib.tmp" "$ng_lib"
    stamp "$ng_src" > .datawave/ngrams.stamp
  else
    echo "bootstrap: could not build $ng_lib (needs gcc); the column model counts n-grams with numpy" >&2
  fi
fi

# checkov (Bicep policy checks in tests/infra) lives in its own venv: its dependencies clash with the app's.
if [ ! -x .venv-checkov/bin/python ]; then
  "$PYTHON" -m venv .venv-checkov
fi
if [ "$(stamp constraints-checkov.txt)" != "$(cat .venv-checkov/.datawave-stamp 2>/dev/null || true)" ]; then
  echo "bootstrap: installing checkov" >&2
  .venv-checkov/bin/python -m pip install --quiet --disable-pip-version-check checkov==3.3.30 -c constraints-checkov.txt
  stamp constraints-checkov.txt > .venv-checkov/.datawave-stamp
fi

# Headless Chromium renders the compliance HTML report in the tests (Debian's package; root on the
# build machines, as in CI). Elsewhere install it yourself: the test fails without it.
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: installing chromium (Debian package)" >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
  else
    echo "bootstrap: chromium is not installed; the HTML report test needs it (apt-get install chromium)" >&2
  fi
fi

if command -v npm >/dev/null 2>&1; then
  if [ "$(stamp package.json package-lock.json)" != "$(cat node_modules/.datawave-stamp 2>/dev/null || true)" ]; then
    echo "bootstrap: installing npm dev tools (Azurite, Cosmos DB emulator)" >&2
    npm ci --no-audit --no-fund --loglevel=error >&2
    stamp package.json package-lock.json > node_modules/.datawave-stamp
  fi
else
  echo "bootstrap: npm not found; Azurite and the Cosmos DB emulator are unavailable" >&2
fi
