#!/usr/bin/env bash
# Checks that the offline images behave the way tests and the kubelet rely on.
# Usage: deploy/images/verify-images.sh [busybox] [pause] [node] [etcd]   (default: all)
# Exits non-zero on the first failure; removes every container and network it made.
set -euo pipefail

id=tskube-verify-$$
made_containers=()
made_network=
cleanup() {
  [ ${#made_containers[@]} -eq 0 ] || docker rm -f "${made_containers[@]}" >/dev/null 2>&1 || true
  [ -z "$made_network" ] || docker network rm "$made_network" >/dev/null 2>&1 || true
}
trap cleanup EXIT

say() { echo "verify-images: $*"; }
fail() { echo "verify-images: FAIL: $*" >&2; exit 1; }
run_bg() { # <name> <docker run args>... : a detached container removed at exit
  local name=$1
  shift
  made_containers+=("$name")
  docker run -d --name "$name" "$@" >/dev/null
}

verify_busybox() {
  [ "$(docker run --rm busybox:1.35 sh -c 'echo ok')" = ok ] || fail "busybox:1.35 sh"
  [ "$(docker run --rm busybox:latest id -un)" = root ] || fail "busybox:latest passwd"
  [ "$(docker run --rm --user nobody busybox:1.35 id -un)" = nobody ] || fail "busybox nobody user"
  docker run --rm busybox:1.35 sh -c 'sleep 0.1 && touch /tmp/x && test -d /root' || fail "busybox sleep, /tmp"

  # httpd in one container, wget and nc from another, over a network of our own.
  made_network=$id
  docker network create "$made_network" >/dev/null
  run_bg "$id-httpd" --network "$made_network" --init busybox:1.35 \
    sh -c 'mkdir -p /www && echo hello-from-httpd >/www/index.html && exec httpd -f -p 8080 -h /www'
  local got
  # busybox 1.35's `wget -T` segfaults, hence timeout(1).
  got=$(docker run --rm --network "$made_network" busybox:1.35 sh -c \
    "for i in 1 2 3 4 5 6 7 8 9 10; do timeout 2 wget -qO- http://$id-httpd:8080/ && exit 0; sleep 0.2; done; exit 1") ||
    fail "wget from httpd"
  [ "$got" = hello-from-httpd ] || fail "httpd served '$got'"
  docker run --rm --network "$made_network" busybox:1.35 sh -c "echo | timeout 2 nc $id-httpd 8080 >/dev/null" ||
    fail "nc to httpd"
  say "busybox:1.35, busybox:latest: sh, id, sleep, httpd -> wget, nc ok"
}

verify_pause() {
  local sandbox=$id-pause start elapsed_ms state zombies
  run_bg "$sandbox" registry.k8s.io/pause:3.10
  # An orphan in the sandbox's PID namespace is re-parented to pause, which must reap it.
  docker run --rm --pid "container:$sandbox" busybox:1.35 sh -c 'sleep 0.2 & exit 0'
  sleep 0.5
  zombies=$(docker run --rm --pid "container:$sandbox" busybox:1.35 ps -o stat,comm | awk '$1 ~ /^Z/' | wc -l)
  [ "$zombies" = 0 ] || fail "pause left $zombies zombie(s)"
  start=$(date +%s%N)
  docker stop -t 10 "$sandbox" >/dev/null
  elapsed_ms=$((($(date +%s%N) - start) / 1000000))
  state=$(docker inspect -f '{{ .State.ExitCode }}' "$sandbox")
  [ "$elapsed_ms" -lt 1000 ] || fail "pause took ${elapsed_ms} ms to stop on SIGTERM"
  [ "$state" = 0 ] || fail "pause exited $state on SIGTERM"
  say "registry.k8s.io/pause:3.10: reaps orphans, stops on SIGTERM in ${elapsed_ms} ms, exit 0"
}

verify_node() {
  [ "$(docker run --rm tskube/node:20 node -e 'console.log(process.versions.node.split(".")[0])')" = 20 ] ||
    fail "tskube/node:20 node version"
  docker run --rm tskube/node:20 node -e 'require("node:http").createServer().listen(0, function () { this.close() })' ||
    fail "tskube/node:20 http server"
  say "tskube/node:20: node $(docker run --rm tskube/node:20 node -v) runs"
}

verify_etcd() {
  local name=$id-etcd
  run_bg "$name" tskube/etcd:3.4 etcd --listen-client-urls http://0.0.0.0:2379 \
    --advertise-client-urls http://127.0.0.1:2379
  docker exec "$name" sh -c 'for i in $(seq 50); do etcdctl put /verify ok >/dev/null 2>&1 && exit 0; sleep 0.2; done; exit 1' ||
    fail "tskube/etcd:3.4 did not accept a put"
  [ "$(docker exec "$name" etcdctl get --print-value-only /verify)" = ok ] || fail "tskube/etcd:3.4 get"
  say "tskube/etcd:3.4: $(docker exec "$name" etcd --version | sed -n 1p), put/get ok"
}

names=("$@")
[ ${#names[@]} -gt 0 ] || names=(busybox pause node etcd)
for name in "${names[@]}"; do
  case $name in
    busybox | pause | node | etcd) "verify_$name" ;;
    *) fail "unknown image '$name'" ;;
  esac
done
