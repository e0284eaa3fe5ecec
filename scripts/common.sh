# Shell helpers shared by the project's scripts. Set LOG_PREFIX, then source this file.

log() { echo "${LOG_PREFIX}: $*"; }
die() { echo "${LOG_PREFIX}: error: $*" >&2; exit 1; }

# Runs a command as root: directly when root, through sudo otherwise.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root (or sudo) to run: $*"
  fi
}

# Installs protoc with apt when it is missing.
ensure_protoc() {
  command -v protoc >/dev/null 2>&1 && return
  log "installing protobuf-compiler"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q protobuf-compiler
}

# build_protoc_gen_swift VERSION WORK: builds protoc-gen-swift from the swift-protobuf release
# VERSION in the scratch folder WORK; prints the plugin's path.
build_protoc_gen_swift() {
  local version="$1" work="$2"
  log "building protoc-gen-swift $version" >&2
  git clone -q --depth 1 --branch "$version" \
    https://github.com/apple/swift-protobuf "$work/swift-protobuf" 2>/dev/null
  (cd "$work/swift-protobuf" && swift build -q --product protoc-gen-swift) >&2
  local plugin
  plugin="$(cd "$work/swift-protobuf" && swift build --product protoc-gen-swift --show-bin-path)/protoc-gen-swift"
  [ -x "$plugin" ] || die "plugin not found at $plugin"
  echo "$plugin"
}

# Installs pip for the system python3 when it is missing.
ensure_pip() {
  python3 -m pip --version >/dev/null 2>&1 && return
  log "installing python3-pip"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-pip
}

# protoc_swift PLUGIN PROTO_PATH PROTO OUT_FILE HEADER_LINE...: generates public Swift for PROTO
# (relative to PROTO_PATH) into OUT_FILE, under a "GENERATED FILE: DO NOT EDIT." header of the
# given comment lines.
protoc_swift() {
  local plugin="$1" proto_path="$2" proto="$3" out_file="$4"
  shift 4
  local gen
  gen="$(mktemp -d)"
  log "running protoc $(protoc --version | awk '{print $2}')"
  protoc --plugin=protoc-gen-swift="$plugin" --proto_path="$proto_path" --swift_out="$gen" \
    --swift_opt=Visibility=Public "$proto"
  local generated="$gen/${proto%.proto}.pb.swift"
  [ -f "$generated" ] || die "protoc produced no $generated"
  mkdir -p "$(dirname "$out_file")"
  {
    echo "// GENERATED FILE: DO NOT EDIT."
    printf '// %s\n' "$@"
    echo
    cat "$generated"
  } > "$out_file.tmp"
  mv "$out_file.tmp" "$out_file"
  rm -rf "$gen"
  log "wrote $out_file ($(wc -l < "$out_file") lines)"
}
