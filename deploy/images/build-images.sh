#!/usr/bin/env bash
# Builds the container images tskube needs without any registry (none is reachable on the
# build machines): everything comes from Debian packages and from this host's own files.
#
# Usage: deploy/images/build-images.sh [--missing] [busybox] [pause] [node] [etcd]
#   no names     all four images
#   --missing    only print the names of the listed images that need building, build nothing
#
# Idempotent: an image is skipped when it exists and carries our recipe label, so a
# placeholder tagged by hand (or an older recipe) is rebuilt rather than trusted.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
label=io.tskube.recipe
# Bump an image's recipe when its build changes, so existing machines rebuild it.
declare -A recipe=([busybox]=busybox-1 [pause]=pause-1 [node]=node-1 [etcd]=etcd-1)
declare -A tag=(
  [busybox]=busybox:1.35
  [pause]=registry.k8s.io/pause:3.10
  [node]=tskube/node:20
  [etcd]=tskube/etcd:3.4
)
std_path=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

say() { echo "build-images: $*" >&2; }
die() { say "error: $*"; exit 1; }

# Runs the image once and checks its output. The output is captured before it is matched:
# `docker run | grep -q` fails under pipefail whenever grep exits before docker has written
# everything (docker then gets EPIPE), which made image builds fail at random. A failed
# image is removed so that the next run builds it again instead of trusting its label.
smoke_test() {
  local image=$1 pattern=$2 out; shift 2
  if out=$(docker run --rm "$image" "$@" 2>&1) && grep -qE "$pattern" <<<"$out"; then return; fi
  docker rmi -f "$image" >/dev/null 2>&1 || true
  die "image $image did not print /$pattern/ for '$*': $out"
}

# For each of the given tags that exists: its image's tags as JSON and its recipe label, one
# line per image. A single docker call: this runs before every `npm test`, maybe on a busy machine.
describe_tags() { # <tag>...
  docker image inspect -f "{{ json .RepoTags }} {{ index .Config.Labels \"$label\" }}" "$@" 2>/dev/null || true
}

# Every tag of <name> names an image built by <name>'s current recipe.
is_current() { # <name> <describe_tags output>
  local name=$1 described=$2 t line found
  local tags=("${tag[$name]}")
  [ "$name" != busybox ] || tags+=(busybox:latest)
  for t in "${tags[@]}"; do
    found=0
    while IFS= read -r line; do
      [[ $line == *"\"$t\""* && $line == *" ${recipe[$name]}" ]] && found=1
    done <<<"$described"
    [ $found = 1 ] || return 1
  done
}

# docker import of a directory, owned by root whatever the builder's uid.
import_rootfs() { # <dir> <tag> [--change ...]...
  local dir=$1 image=$2
  shift 2
  tar -C "$dir" --numeric-owner --owner=0 --group=0 -cf - . |
    docker import --message "built by tskube deploy/images/build-images.sh" "$@" - "$image" >/dev/null
}

# A minimal busybox userland; the node and etcd images are built on top of it so they have
# a shell for debugging and healthchecks.
make_busybox_rootfs() { # <dir>
  local root=$1 bb=/bin/busybox applet
  [ -x "$bb" ] || die "$bb not found: install busybox-static (bash deploy/ensure-system.sh images does)"
  # A dynamically linked busybox (package 'busybox') would not run without its libraries.
  if ldd "$bb" >/dev/null 2>&1; then die "$bb is dynamically linked: install busybox-static"; fi
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,root,tmp,var/www,home}
  chmod 1777 "$root/tmp"
  chmod 0700 "$root/root"
  cp "$bb" "$root/bin/busybox"
  for applet in $("$bb" --list-full); do
    [ "$applet" = bin/busybox ] || ln -sf /bin/busybox "$root/$applet"
  done
  printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/home:/bin/false' >"$root/etc/passwd"
  printf '%s\n' 'root:x:0:' 'nobody:x:65534:' >"$root/etc/group"
}

# Copies a dynamically linked binary to <root><dest> plus every library ldd resolves for it,
# at the same paths, so the loader finds them without an ld.so.cache.
add_binary_with_libs() { # <binary> <root> <dest>
  local bin=$1 root=$2 dest=$3 lib
  install -D -m 0755 "$bin" "$root$dest"
  for lib in $(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
    install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
  done
}

build_busybox() {
  local root=$work/busybox
  make_busybox_rootfs "$root"
  import_rootfs "$root" "${tag[busybox]}" \
    --change "ENV $std_path" --change 'CMD ["sh"]' --change "LABEL $label=${recipe[busybox]}"
  docker tag "${tag[busybox]}" busybox:latest
  smoke_test "${tag[busybox]}" '^ok$' sh -c 'echo ok'
}

# The pod sandbox: a static binary that sleeps, reaps zombies and exits on SIGINT/SIGTERM.
build_pause() {
  local root=$work/pause
  command -v gcc >/dev/null || die "gcc not found: install gcc libc6-dev (bash deploy/ensure-system.sh images does)"
  [ -f "$(gcc -print-file-name=libc.a)" ] || die "libc.a not found: install libc6-dev"
  mkdir -p "$root"
  gcc -Os -static -Wall -Wextra -Werror -o "$root/pause" "$here/pause/pause.c"
  strip "$root/pause"
  # Upstream's pause image runs as 65535 too; it needs no privileges.
  import_rootfs "$root" "${tag[pause]}" \
    --change 'ENTRYPOINT ["/pause"]' --change 'USER 65535:65535' --change "LABEL $label=${recipe[pause]}"
  smoke_test "${tag[pause]}" pause --version
}

# For running tskube's own components under docker-compose. Debian's nodejs is too old, so
# the host's node goes in (it links only glibc, libstdc++, libgcc_s and libm).
build_node() {
  local root=$work/node node major
  node=$(readlink -f "$(command -v node)") || die "node not found on this host"
  major=$("$node" -p 'process.versions.node.split(".")[0]')
  [ "$major" = 20 ] || say "warning: host node is v$major, tagging it ${tag[node]} anyway"
  make_busybox_rootfs "$root"
  add_binary_with_libs "$node" "$root" /usr/local/bin/node
  mkdir -p "$root/app"
  import_rootfs "$root" "${tag[node]}" \
    --change "ENV $std_path" --change 'WORKDIR /app' --change 'CMD ["node"]' \
    --change "LABEL $label=${recipe[node]}"
  smoke_test "${tag[node]}" '^ok$' node -e 'console.log("ok")'
}

build_etcd() {
  local root=$work/etcd bin
  command -v etcd >/dev/null || die "etcd not found: install etcd-server (bash deploy/ensure-system.sh etcd does)"
  make_busybox_rootfs "$root"
  add_binary_with_libs "$(readlink -f "$(command -v etcd)")" "$root" /usr/local/bin/etcd
  if bin=$(command -v etcdctl); then add_binary_with_libs "$(readlink -f "$bin")" "$root" /usr/local/bin/etcdctl; fi
  mkdir -p "$root/var/lib/etcd"
  import_rootfs "$root" "${tag[etcd]}" \
    --change "ENV $std_path" --change 'WORKDIR /var/lib/etcd' --change 'EXPOSE 2379 2380' \
    --change 'CMD ["etcd"]' --change "LABEL $label=${recipe[etcd]}"
  smoke_test "${tag[etcd]}" 'etcd Version' etcd --version
}

only_missing=0
names=()
for arg in "$@"; do
  case $arg in
    --missing) only_missing=1 ;;
    busybox | pause | node | etcd) names+=("$arg") ;;
    *) die "unknown argument '$arg' (usage: build-images.sh [--missing] [busybox] [pause] [node] [etcd])" ;;
  esac
done
[ ${#names[@]} -gt 0 ] || names=(busybox pause node etcd)

command -v docker >/dev/null || die "docker CLI not found (bash deploy/ensure-system.sh docker installs it)"

all_tags=(busybox:latest)
for name in "${names[@]}"; do all_tags+=("${tag[$name]}"); done
described=$(describe_tags "${all_tags[@]}")
todo=()
for name in "${names[@]}"; do is_current "$name" "$described" || todo+=("$name"); done
if [ $only_missing = 1 ]; then
  [ ${#todo[@]} -eq 0 ] || printf '%s\n' "${todo[@]}"
  exit 0
fi
[ ${#todo[@]} -gt 0 ] || exit 0
docker version >/dev/null 2>&1 || die "the Docker daemon does not answer (bash deploy/ensure-system.sh docker starts it)"
# The other images are layered on busybox's rootfs (not its image), so any order works.
work=$(mktemp -d /tmp/tskube-images.XXXXXX)
trap 'rm -rf "$work"' EXIT
for name in "${todo[@]}"; do
  start=$SECONDS
  "build_$name"
  say "built ${tag[$name]} in $((SECONDS - start)) s"
done
