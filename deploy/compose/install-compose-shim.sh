#!/bin/sh
# Makes `docker compose ...` run Compose v1 (`docker-compose`, Debian's 1.29.2): the docker CLI
# here has no compose plugin and Compose v2 is not packaged. The CLI runs a plugin found in
# ~/.docker/cli-plugins (or /usr/local/lib/docker/cli-plugins) as `docker-compose compose <args>`
# after asking it for its metadata, so the shim answers that and drops the first argument.
# Usage: deploy/compose/install-compose-shim.sh [plugin-dir]   (default ~/.docker/cli-plugins)
set -eu
dir=${1:-${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins}
v1=$(command -v docker-compose || true)
case $v1 in
  "" ) echo "install-compose-shim: docker-compose (v1) is not installed: bash deploy/ensure-system.sh compose" >&2; exit 1 ;;
  "$dir/docker-compose") echo "install-compose-shim: $dir is on PATH ahead of docker-compose v1; nothing to do" >&2; exit 0 ;;
esac
mkdir -p "$dir"
cat >"$dir/docker-compose.tmp" <<SHIM
#!/bin/sh
# Written by tskube deploy/compose/install-compose-shim.sh: \`docker compose\` -> Compose v1.
if [ "\$1" = docker-cli-plugin-metadata ]; then
  echo '{"SchemaVersion":"0.1.0","Vendor":"tskube","Version":"v1","ShortDescription":"Docker Compose v1 via docker-compose"}'
  exit 0
fi
shift
exec $v1 "\$@"
SHIM
chmod 0755 "$dir/docker-compose.tmp"
mv "$dir/docker-compose.tmp" "$dir/docker-compose"
echo "install-compose-shim: installed $dir/docker-compose; 'docker compose' now runs $v1" >&2
