#!/usr/bin/env bash
# Makes this machine able to run tskube: installs missing Debian packages, starts dockerd if
# its socket does not answer, builds the offline images. Runs before every `npm start` and
# `npm test`, so it is silent and takes well under a second when nothing is missing.
#
# Usage: deploy/ensure-system.sh [etcd] [docker] [compose] [images]   (default: etcd docker images)
#   etcd     the etcd 3.4 binary (etcd-server); tskube starts etcd processes itself
#   docker   docker.io + iptables, and a running dockerd
#   compose  docker-compose (v1) and a `docker compose` shim calling it
#   images   busybox:1.35, registry.k8s.io/pause:3.10, tskube/node:20, tskube/etcd:3.4
#            (implies docker; installs busybox-static, gcc and libc6-dev if it must build)
#
# As root on Debian it installs what is missing and says so, one line per package; otherwise
# it prints what to install and exits 1.
# Environment: TSKUBE_DOCKERD_ARGS  extra dockerd flags (e.g. --storage-driver=vfs)
#              TSKUBE_DOCKERD_LOG   dockerd's log file (default /var/log/tskube-dockerd.log)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Non-login root shells (CI, npm scripts) may lack the sbin directories dockerd lives in.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
default_sock=/var/run/docker.sock
docker_sock=$default_sock
[[ ${DOCKER_HOST:-} != unix://* ]] || docker_sock=${DOCKER_HOST#unix://}
dockerd_log=${TSKUBE_DOCKERD_LOG:-/var/log/tskube-dockerd.log}
dockerd_wait_s=60

say() { echo "ensure-system: $*" >&2; }
die() { say "error: $*"; exit 1; }

want_etcd=0 want_docker=0 want_compose=0 want_images=0
[ $# -gt 0 ] || set -- etcd docker images
for arg in "$@"; do
  case $arg in
    etcd) want_etcd=1 ;;
    docker) want_docker=1 ;;
    compose) want_compose=1 ;;
    images) want_images=1 want_docker=1 ;;
    *) die "unknown argument '$arg' (usage: ensure-system.sh [etcd] [docker] [compose] [images])" ;;
  esac
done

is_root() { [ "$(id -u)" = 0 ]; }

# One run at a time: `npm start` and `npm test` (or two engineers) must not race apt or
# start two dockerds. flock is in util-linux, which every Debian has; elsewhere go unlocked.
if command -v flock >/dev/null; then
  lock=/tmp/tskube-ensure-system.$(id -u).lock
  exec 9>>"$lock" || die "cannot open $lock"
  flock -w 600 9 || die "another ensure-system.sh has held $lock for 10 minutes"
fi

apt_updated=0
# install_packages "<package>:<why>"...
install_packages() {
  local entry pkgs=()
  [ $# -gt 0 ] || return 0
  if ! is_root || ! command -v apt-get >/dev/null; then
    for entry in "$@"; do say "missing: ${entry%%:*} (${entry#*:})"; done
    pkgs=("${@%%:*}")
    say "install them as root: apt-get update && apt-get install -y --no-install-recommends ${pkgs[*]}"
    exit 1
  fi
  for entry in "$@"; do
    say "installing ${entry%%:*} (${entry#*:})"
    pkgs+=("${entry%%:*}")
  done
  local log=/tmp/tskube-apt.log
  export DEBIAN_FRONTEND=noninteractive
  if [ $apt_updated = 0 ]; then
    apt-get update -qq >"$log" 2>&1 || { tail -20 "$log" >&2; die "apt-get update failed (log: $log)"; }
    apt_updated=1
  fi
  apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >>"$log" 2>&1 ||
    { tail -20 "$log" >&2; die "apt-get install ${pkgs[*]} failed (log: $log)"; }
}

docker_answers() { # GET /_ping on the unix socket: curl if there (quicker), else node
  [ -S "$docker_sock" ] || return 1
  if command -v curl >/dev/null; then
    [ "$(curl -s --max-time 2 --unix-socket "$docker_sock" http://docker/_ping 2>/dev/null)" = OK ]
    return
  fi
  node -e '
    const req = require("node:http").get({ socketPath: process.argv[1], path: "/_ping", timeout: 2000 },
      (res) => process.exit(res.statusCode === 200 ? 0 : 1));
    req.on("timeout", () => process.exit(1));
    req.on("error", () => process.exit(1));' "$docker_sock"
}

start_dockerd() {
  is_root || die "the Docker daemon does not answer on $docker_sock and only root can start it: run dockerd as root"
  [ "$docker_sock" = "$default_sock" ] ||
    die "the Docker daemon does not answer on $docker_sock (from DOCKER_HOST): start that daemon yourself"
  local pid
  pid=$(cat /var/run/docker.pid 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    say "dockerd (pid $pid) is running but not answering yet; waiting"
  else
    say "starting dockerd in the background (log: $dockerd_log)"
    mkdir -p "$(dirname "$dockerd_log")"
    # No systemd here: detach it from our session and stdio so it outlives this script and
    # never holds a CI step's output open, nor our lock (fd 9). Defaults (overlay2, iptables, cgroupfs) work on
    # the build and CI machines; TSKUBE_DOCKERD_ARGS is the escape hatch for other sandboxes.
    # shellcheck disable=SC2086
    setsid dockerd ${TSKUBE_DOCKERD_ARGS:-} </dev/null >>"$dockerd_log" 2>&1 9>&- &
    pid=$!
  fi
  local deadline=$((SECONDS + dockerd_wait_s))
  until docker_answers; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -15 "$dockerd_log" >&2
      die "dockerd exited (log above, full log: $dockerd_log). If the storage driver or iptables failed in this sandbox, try TSKUBE_DOCKERD_ARGS='--storage-driver=vfs' or '--iptables=false'"
    fi
    if [ $SECONDS -ge $deadline ]; then
      tail -15 "$dockerd_log" >&2
      die "dockerd (pid $pid) did not answer GET /_ping on $docker_sock within ${dockerd_wait_s} s (log: $dockerd_log)"
    fi
    sleep 0.2
  done
  say "dockerd answers on $docker_sock"
}

# `docker compose ...` runs Compose v1 through a CLI plugin shim (Debian has no Compose v2),
# installed system-wide by deploy/compose/install-compose-shim.sh.
install_compose_shim() {
  local dir=/usr/local/lib/docker/cli-plugins
  [ -x "$dir/docker-compose" ] && return 0
  is_root || { say "note: no 'docker compose' plugin; use docker-compose"; return 0; }
  bash "$here/compose/install-compose-shim.sh" "$dir"
}

missing=()
if [ $want_etcd = 1 ]; then
  command -v etcd >/dev/null || missing+=("etcd-server:etcd 3.4, tskube's storage")
fi
if [ $want_docker = 1 ]; then
  command -v dockerd >/dev/null && command -v docker >/dev/null ||
    missing+=("docker.io:Docker Engine, the kubelet's container runtime")
  command -v iptables >/dev/null || missing+=("iptables:container networking and kube-proxy")
fi
if [ $want_compose = 1 ]; then
  command -v docker-compose >/dev/null || missing+=("docker-compose:Compose v1, for docker-compose.yml")
fi
install_packages "${missing[@]}"

if [ $want_docker = 1 ] && ! docker_answers; then start_dockerd; fi
if [ $want_compose = 1 ]; then install_compose_shim; fi

if [ $want_images = 1 ]; then
  todo=$(bash "$here/images/build-images.sh" --missing)
  if [ -n "$todo" ]; then
    tools=()
    # Every image is built on busybox-static's binary; the dynamic 'busybox' package won't do.
    { [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; } ||
      tools+=("busybox-static:the busybox-based images")
    if grep -qx pause <<<"$todo"; then
      command -v gcc >/dev/null || tools+=("gcc:compiling the static pause binary")
      if ! command -v gcc >/dev/null || [ ! -f "$(gcc -print-file-name=libc.a)" ]; then
        tools+=("libc6-dev:libc.a for the static pause binary")
      fi
    fi
    if grep -qx etcd <<<"$todo" && ! command -v etcd >/dev/null; then
      tools+=("etcd-server:the etcd binary for tskube/etcd:3.4")
    fi
    install_packages "${tools[@]}"
    say "building images: $(echo $todo)"
    # shellcheck disable=SC2086
    bash "$here/images/build-images.sh" $todo
  fi
fi
