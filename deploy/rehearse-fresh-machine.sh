#!/usr/bin/env bash
# Rehearses CI's brand-new machine here, without touching this machine's dockerd, packages or
# network: a debootstrap'd Debian minbase (no etcd, no Docker) with this host's node and npm,
# and a clone of the repo's HEAD. Then:
#   A. in a chroot (host network, for the Debian mirror): ensure-system.sh installs etcd,
#      docker.io, iptables and Compose, as CI would; busybox-static, gcc and libc6-dev are
#      installed directly, because phase B has no network.
#   B. in a chroot inside new mount, network and PID namespaces (its own docker0, iptables
#      and /var/lib/docker; everything it starts dies with it): ensure-system.sh starts dockerd
#      cold and builds the images, then verify-images.sh checks them.
# npm ci / npm test are not rehearsed here (they need the registry): run `bash .ci/run` in a
# clone for those.
#
# Usage (root): deploy/rehearse-fresh-machine.sh [workdir]   (default /tmp/tskube-rehearsal)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
top=${1:-/tmp/tskube-rehearsal}
base=$top/base # pristine minbase, kept between runs: debootstrap takes a while
run=$top/run
[ "$(id -u)" = 0 ] || { echo "rehearse: must run as root" >&2; exit 1; }

step() { echo "rehearse: $*"; }
timed() { # <label> <command>...
  local label=$1 start=$SECONDS
  shift
  "$@"
  step "$label: $((SECONDS - start)) s"
}

if [ ! -x "$base/usr/bin/apt-get" ]; then
  command -v debootstrap >/dev/null || apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
  timed "debootstrap minbase" debootstrap --variant=minbase bookworm "$base" http://deb.debian.org/debian >/dev/null
fi

rm -rf "$run"
cp -a "$base" "$run"
cp /etc/resolv.conf "$run/etc/resolv.conf"
# As on CI: apt must not start services (docker.io's init script would start a dockerd in
# this host's network namespace).
printf '#!/bin/sh\nexit 101\n' >"$run/usr/sbin/policy-rc.d"
chmod 0755 "$run/usr/sbin/policy-rc.d"
node=$(readlink -f "$(command -v node)")
install -D -m 0755 "$node" "$run/usr/local/bin/node"
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
mkdir -p "$run/usr/local/lib/node_modules"
cp -a "$npm_dir" "$run/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$run/usr/local/bin/npm"
git clone -q "$repo" "$run/work/tskube"

in_chroot=(chroot "$run" env -i HOME=/root CI=true PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
  TSKUBE_DOCKERD_LOG=/var/log/tskube-dockerd.log bash -c)

phase_a=$(
  cat <<'EOF'
set -euo pipefail
cd /work/tskube
bash deploy/ensure-system.sh etcd compose
# Installs docker.io and iptables, then cannot start a daemon on this socket: expected.
DOCKER_HOST=unix:///nonexistent bash deploy/ensure-system.sh docker 2>&1 | grep -v 'start that daemon yourself' >&2 || true
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends busybox-static gcc libc6-dev >/dev/null
etcd --version | sed -n 1p; dockerd --version; docker-compose version --short
EOF
)
timed "phase A (packages)" unshare --mount --fork bash -c \
  'mount -t proc proc "$1/proc" && mount --rbind /dev "$1/dev" && shift && exec "$@"' \
  _ "$run" "${in_chroot[@]}" "$phase_a"

phase_b=$(
  cat <<'EOF'
set -euo pipefail
cd /work/tskube
t0=$(date +%s%N)
bash deploy/ensure-system.sh etcd docker images
t1=$(date +%s%N)
bash deploy/ensure-system.sh etcd docker images
t2=$(date +%s%N)
echo "rehearse: ensure-system cold $(((t1 - t0) / 1000000)) ms, warm $(((t2 - t1) / 1000000)) ms"
bash deploy/images/verify-images.sh
# A lost tag is rebuilt; an image tagged by hand over ours is replaced.
docker rmi busybox:latest >/dev/null
docker tag busybox:1.35 registry.k8s.io/pause:3.10
bash deploy/ensure-system.sh images
[ "$(bash deploy/images/build-images.sh --missing)" = "" ]
docker run --rm busybox sh -c 'echo busybox:latest ok'
bash deploy/images/verify-images.sh pause
EOF
)
# The root bind-mounted onto itself: dockerd's archive code remounts "/" and a plain
# directory under chroot is not a mount point.
timed "phase B (dockerd + images)" unshare --mount --net --pid --fork bash -c \
  'mount --bind "$1" "$1" && mount -t proc proc "$1/proc" && mount --rbind /sys "$1/sys" && mount --rbind /dev "$1/dev" && shift && exec "$@"' \
  _ "$run" "${in_chroot[@]}" "$phase_b"

rm -rf "$run"
step "ok"
