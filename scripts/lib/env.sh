# Shared by scripts/setup, scripts/test, scripts/demo and scripts/fetch-bioformats (source it, don't run it).
# Puts the same environment in place for installing and for running: the JDK that node-java builds against
# is the one the tests run with, and node-gyp finds Node's headers locally (the network has no Node headers).

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export REPO_ROOT

# The pnpm that wrote pnpm-lock.yaml: other majors refuse this lockfile (see /work/shared/docs/toolchain.md).
PNPM_VERSION="$(sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' "$REPO_ROOT/package.json")"
PNPM_VERSION="${PNPM_VERSION:-12.4.2}"
NODE_MIN="20.11"
PYTHON_MIN="3.11" # numpy 2.4 in scripts/requirements-peers.txt needs 3.11+
JAVA_MIN=17

export npm_config_nodedir="${npm_config_nodedir:-/usr}"
export TURBO_TELEMETRY_DISABLED=1
export DEBIAN_FRONTEND=noninteractive

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
note() { printf '    %s\n' "$*"; }
warn() { printf '\033[33m!!! %s\033[0m\n' "$*" >&2; }
die() {
  printf '\n\033[31mxxx %s\033[0m\n' "$1" >&2
  shift
  for line in "$@"; do printf '    %s\n' "$line" >&2; done
  exit 1
}

# "17.0.15" / "1.8.0_392" / "25" -> major number
java_major() {
  local v
  v="$("$1" -version 2>&1 | sed -n 's/.* version "\([^"]*\)".*/\1/p' | head -n1)"
  v="${v#1.}"
  echo "${v%%[._-]*}"
}

# A JDK (not a JRE: node-java compiles against include/jni.h) of version JAVA_MIN or newer.
# Order: BFIO_JAVA_HOME (explicit choice), OpenJDK 17 (what the project is tested with), JAVA_HOME, any other.
is_jdk() {
  [[ -x "$1/bin/java" && -f "$1/include/jni.h" ]] && (($(java_major "$1/bin/java") >= JAVA_MIN))
}
detect_java_home() {
  local c
  for c in "${BFIO_JAVA_HOME:-}" /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/java-17-openjdk-* "${JAVA_HOME:-}" /usr/lib/jvm/*; do
    [[ -n "$c" && -d "$c" ]] || continue
    if is_jdk "$c"; then
      echo "$c"
      return 0
    fi
  done
  return 1
}
if jh="$(detect_java_home)"; then
  export JAVA_HOME="$jh"
  case ":$PATH:" in *":$JAVA_HOME/bin:"*) ;; *) export PATH="$JAVA_HOME/bin:$PATH" ;; esac
fi
unset jh

# version_ge 20.20.2 20.11 -> true
version_ge() { [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" == "$2" ]]; }

# root runs apt-get directly; anyone else through sudo.
as_root() {
  if [[ "$(id -u)" == 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    die "need root for: $*" "run scripts/setup as root, or install sudo"
  fi
}

VENV="$REPO_ROOT/.venv"
VENV_PY="$VENV/bin/python"
PEERS_REQ="$REPO_ROOT/scripts/requirements-peers.txt"
PEERS_STAMP="$VENV/.bfio-peers.sha256"
BF_CACHE="$REPO_ROOT/.cache/bioformats"
BF_JAR="$BF_CACHE/bioformats_package.jar"

# MinIO, the S3 server of the object-storage tests: built from its Go module (no release binaries here) and
# cached twice: in the checkout (.cache/bin/minio, what test-support/minio.ts runs) and per machine, so a fresh
# clone on the same machine (CI) copies it instead of rebuilding (a build takes minutes on 2 cores).
MINIO_MODULE="github.com/minio/minio"
MINIO_VERSION="v0.0.0-20260212201848-7aac2a2c5b7c"
MINIO_GO_MIN="1.24" # the `go` line of that version's go.mod
MINIO_BIN="$REPO_ROOT/.cache/bin/minio"
MINIO_STAMP="$MINIO_BIN.version"
TOOLS_CACHE="${XDG_CACHE_HOME:-${HOME:-$(cd ~ && pwd)}/.cache}/bfio-tools"
MINIO_MACHINE_BIN="$TOOLS_CACHE/minio-$MINIO_VERSION"
