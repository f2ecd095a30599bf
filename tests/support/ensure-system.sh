#!/usr/bin/env bash
# ensure-system.sh: installs the Debian packages the build, tests, demo and
# benchmarks need, only those missing. Quick when everything is present.
set -euo pipefail
pkgs=(cmake make gcc clang libclang-rt-14-dev pkg-config libexpat1-dev libsodium-dev emscripten dpkg-dev autoconf
      automake libtool valgrind cppcheck clang-tidy ejabberd prosody lua-unbound chromium
      postgresql erlang-p1-pgsql haproxy)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ "${#missing[@]}" -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y --no-install-recommends "${missing[@]}" ||
  { $SUDO apt-get update && $SUDO apt-get install -y --no-install-recommends "${missing[@]}"; }
# The packaged services are not needed: tests start their own servers.
for service in ejabberd prosody postgresql haproxy; do
  if command -v systemctl >/dev/null && systemctl is-active --quiet "$service" 2>/dev/null; then
    $SUDO systemctl stop "$service" || true
  fi
done
