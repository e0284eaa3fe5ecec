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
