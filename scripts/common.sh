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
