#!/usr/bin/env bash
# Installs the Debian packages that maille's tests and benchmarks call as real clients and peers.
# Idempotent and quiet when everything is present; needs root (or sudo) only when something is missing.
#   scripts/system-deps.sh          what the tests need
#   scripts/system-deps.sh bench    plus the load generators and HAProxy/nginx for bench/
set -euo pipefail

need=(curl:curl openssl:openssl h2load:nghttp2-client)
if [ "${1:-}" = bench ]; then
  need+=(wrk:wrk hey:hey haproxy:haproxy nginx:nginx-light)
fi

missing=()
for pair in "${need[@]}"; do
  cmd=${pair%%:*}; pkg=${pair#*:}
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "system-deps: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
