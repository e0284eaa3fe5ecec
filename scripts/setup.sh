#!/usr/bin/env bash
# Installs what Kiln needs to build and test on a bare Debian machine: system packages with
# apt-get and the Python oracle packages in .venv. Idempotent, and quick when nothing is missing.
# Environment: PYTHON (default python3) is the interpreter that creates .venv.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PYTHON="${PYTHON:-python3}"
VENV="$ROOT/.venv"
REQUIREMENTS="$ROOT/scripts/requirements-oracle.txt"
STAMP="$VENV/.kiln-requirements"

# pkg-config lets SwiftPM find the headers of libjpeg-turbo and libpng (the CJPEG and CPNG
# system-library modules); OpenBLAS's cblas.h and libopenblas.a are on the default paths.
APT_PACKAGES=(
  libonnx-dev
  libprotobuf-dev
  protobuf-compiler
  libopenblas-dev
  libjpeg62-turbo-dev
  libpng-dev
  libonnx-testdata
  pkg-config
  chromium
)

LOG_PREFIX=setup
# shellcheck source=common.sh
source "$ROOT/scripts/common.sh"

is_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

APT_UPDATED=0
apt_install() {
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install by hand: $*"
  if [ "$APT_UPDATED" -eq 0 ]; then
    log "apt-get update"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
    APT_UPDATED=1
  fi
  log "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null
}

# 1. System packages.
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  is_installed "$pkg" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  apt_install "${missing[@]}"
else
  log "system packages present"
fi

# 2. The oracle venv. Recreate it when its interpreter no longer runs.
if [ -e "$VENV" ] && ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
  log "removing broken .venv"
  rm -rf "$VENV"
fi

if [ ! -x "$VENV/bin/python" ]; then
  if ! command -v "$PYTHON" >/dev/null 2>&1; then
    apt_install python3-venv
    PYTHON=python3
  fi
  log "creating .venv with $("$PYTHON" --version 2>&1)"
  if ! "$PYTHON" -m venv "$VENV" >/dev/null 2>&1; then
    # Debian's python3 creates venvs only with python3-venv (ensurepip) installed.
    rm -rf "$VENV"
    apt_install python3-venv
    "$PYTHON" -m venv "$VENV" || die "python3 -m venv failed"
  fi
fi

if [ -f "$STAMP" ] && cmp -s "$REQUIREMENTS" "$STAMP"; then
  log "python packages present"
else
  log "pip install -r scripts/requirements-oracle.txt"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$REQUIREMENTS"
  cp "$REQUIREMENTS" "$STAMP"
fi

# 3. rknn-toolkit2 for `kiln convert --target rknn --build`, in its own venv: it pins numpy<=1.26.4,
# onnx<=1.18, torch<=2.4 and protobuf<=4.25.4, which the oracle venv must not get (about 6 GB,
# 3 minutes). Created once; KILN_SKIP_RKNN=1 skips it.
RKNN_VENV="$ROOT/.venv-rknn"
RKNN_REQUIREMENT="rknn-toolkit2==2.5.0"
RKNN_STAMP="$RKNN_VENV/.kiln-requirements"
if [ "${KILN_SKIP_RKNN:-0}" = "1" ]; then
  log "rknn-toolkit2 skipped (KILN_SKIP_RKNN=1)"
elif [ -f "$RKNN_STAMP" ] && [ "$(cat "$RKNN_STAMP")" = "$RKNN_REQUIREMENT" ]; then
  log "rknn-toolkit2 present"
else
  log "creating .venv-rknn with $RKNN_REQUIREMENT"
  rm -rf "$RKNN_VENV"
  # Optional: without it only `--target rknn --build` is unavailable (its tests say so and skip).
  if "$PYTHON" -m venv "$RKNN_VENV" \
    && "$RKNN_VENV/bin/python" -m pip install -q --disable-pip-version-check "$RKNN_REQUIREMENT"; then
    echo "$RKNN_REQUIREMENT" > "$RKNN_STAMP"
  else
    log "warning: could not install $RKNN_REQUIREMENT; kiln convert --target rknn --build will be unavailable"
    rm -rf "$RKNN_VENV"
  fi
fi

# 4. The real-world models the frontend oracle tests read (.cache/test-models, never committed).
bash "$ROOT/scripts/fetch-test-models.sh"

log "done"
