#!/usr/bin/env bash
# deps.sh: builds expat and libsodium for wasm32 from Debian's source
# packages and installs them into a cached prefix. The upstream archives are
# checked against the SHA-256 pins below (the Debian revision, which carries
# security patches, may move; apt verifies its part against the signed .dsc).
# No third-party source is ever committed.
#
#   bash wasm-build/deps.sh                 build if not cached
#   bash wasm-build/deps.sh --print-prefix  print the install prefix
set -euo pipefail

EXPAT_VERSION=2.5.0
EXPAT_ORIG_SHA256=ab00ee05c7067fd10a35c5d2a4922ebba746ddd50ff83b79c828da17bbdf1757
SODIUM_VERSION=1.0.18
SODIUM_ORIG_SHA256=d59323c6b712a1519a5daf710b68f5e7fde57040845ffec53850911f10a5d4f4

cache="${XW_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/xmpp-wasm/deps}"
prefix="$cache/wasm32-prefix"
# Flags that change the result; any change here invalidates the cache.
EXPAT_FLAGS="-DEXPAT_DTD=OFF -DEXPAT_NS=ON -DEXPAT_DEV_URANDOM=OFF -DEXPAT_BUILD_TOOLS=OFF -DEXPAT_BUILD_EXAMPLES=OFF -DEXPAT_BUILD_TESTS=OFF -DEXPAT_BUILD_DOCS=OFF -DEXPAT_BUILD_PKGCONFIG=OFF -DEXPAT_SHARED_LIBS=OFF -DEXPAT_WITH_GETRANDOM=OFF -DEXPAT_WITH_SYS_GETRANDOM=OFF -DEXPAT_WITH_ARC4RANDOM=OFF -DEXPAT_WITH_ARC4RANDOM_BUF=OFF -DEXPAT_WITH_LIBBSD=OFF"
SODIUM_FLAGS="--disable-shared --enable-static --disable-ssp --disable-asm --without-pthreads --enable-minimal"
# NDEBUG: libsodium keeps assert() otherwise, which drags printf into the module.
# -mbulk-memory: memcpy/memset become single instructions (as in wasm.cmake).
CFLAGS_WASM="-Oz -flto -DNDEBUG -mbulk-memory"
# XML_POOR_ENTROPY: no entropy source at all in wasm; the core always calls
# XML_SetHashSalt with its own random value first. XML_MIN_SIZE: expat's
# tokenizer compiled once, not once per encoding (UTF-8, UTF-16LE/BE): about
# 20 KB less wasm (5 KB gzip) for a tokenizer about 1.5x slower (measured:
# 74 to 48 MB/s of XML in wasm, i.e. 7 ms more per MB of stanzas).
EXPAT_CFLAGS="-DXML_POOR_ENTROPY -DXML_MIN_SIZE"
stamp_key="expat=$EXPAT_ORIG_SHA256 $EXPAT_FLAGS $EXPAT_CFLAGS sodium=$SODIUM_ORIG_SHA256 $SODIUM_FLAGS cflags=$CFLAGS_WASM v5"
stamp="$prefix/.stamp"

if [ "${1:-}" = "--print-prefix" ]; then
  echo "$prefix"
  exit 0
fi

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$stamp_key" ]; then
  echo "wasm deps: cached in $prefix"
  exit 0
fi

need_pkgs=()
command -v emcc >/dev/null || need_pkgs+=(emscripten)
command -v dpkg-source >/dev/null || need_pkgs+=(dpkg-dev)
command -v autoreconf >/dev/null || need_pkgs+=(autoconf automake)
command -v libtoolize >/dev/null || need_pkgs+=(libtool)
command -v cmake >/dev/null || need_pkgs+=(cmake)
command -v make >/dev/null || need_pkgs+=(make)
if [ "${#need_pkgs[@]}" -gt 0 ]; then
  echo "wasm deps: installing ${need_pkgs[*]}"
  apt-get install -y --no-install-recommends "${need_pkgs[@]}" >/dev/null 2>&1 ||
    { apt-get update >/dev/null && apt-get install -y --no-install-recommends "${need_pkgs[@]}" >/dev/null; }
fi

# Debian's source packages need deb-src entries; mirror the machine's own
# deb entries (deb822 or one-line format) as deb-src.
src_list=/etc/apt/sources.list.d/xmpp-wasm-deb-src.sources
if ! grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  tmp="$(mktemp)"
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # Only Debian's own archives carry the source packages.
    awk 'BEGIN{RS=""; ORS="\n\n"} /debian/ && /Types:[^\n]*deb/ { sub(/Types:[^\n]*/, "Types: deb-src"); print }' "$f" >>"$tmp"
  done
  if [ -f /etc/apt/sources.list ]; then
    grep -E '^deb .*debian' /etc/apt/sources.list | sed 's/^deb /deb-src /' >"${tmp}.list" || true
  fi
  [ -s "$tmp" ] && mv "$tmp" "$src_list" || rm -f "$tmp"
  [ -s "${tmp}.list" ] && mv "${tmp}.list" /etc/apt/sources.list.d/xmpp-wasm-deb-src.list || rm -f "${tmp}.list"
  apt-get update >/dev/null
fi

mkdir -p "$cache/src"
cd "$cache/src"

# fetch NAME VERSION SHA256 -> extracted, patched source dir on stdout
fetch_source() {
  local name="$1" version="$2" sha="$3"
  local orig
  if ! ls ${name}_${version}-*.dsc >/dev/null 2>&1; then
    # The newest Debian revision first; a mirror can list a security
    # revision before it serves its files, so fall back to older ones.
    local ok="" v
    for v in $(apt-cache showsrc "$name" | sed -n 's/^Version: //p' | grep "^${version}-" | sort -rV | uniq); do
      if apt-get source --download-only "$name=$v" >/dev/null 2>&1; then ok=1; break; fi
    done
    [ -n "$ok" ] || { echo "wasm deps: no source package of $name $version could be fetched" >&2; exit 1; }
  fi
  orig="$(ls ${name}_${version}.orig.tar.* | grep -v '\.asc$' | head -n1)"
  echo "$sha  $orig" | sha256sum -c --quiet - >&2 ||
    { echo "wasm deps: $orig does not match its pinned SHA-256" >&2; exit 1; }
  local dsc
  dsc="$(ls ${name}_${version}-*.dsc | sort -V | tail -n1)"
  local dir="$cache/src/${name}-${version}"
  rm -rf "$dir"
  dpkg-source --no-check -x "$dsc" "$dir" >/dev/null 2>&1
  echo "wasm deps: $name from $dsc (upstream archive SHA-256 verified)" >&2
  echo "$dir"
}

export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
rm -rf "$prefix"
mkdir -p "$prefix"

expat_src="$(fetch_source expat "$EXPAT_VERSION" "$EXPAT_ORIG_SHA256")"
# Debian keeps expat's CMake project in the expat/ subfolder or at the top.
expat_cmake="$expat_src"
[ -f "$expat_src/expat/CMakeLists.txt" ] && expat_cmake="$expat_src/expat"
# shellcheck disable=SC2086
emcmake cmake -S "$expat_cmake" -B "$cache/build-expat" -DCMAKE_BUILD_TYPE=MinSizeRel \
  -DCMAKE_C_FLAGS="$CFLAGS_WASM $EXPAT_CFLAGS" -DCMAKE_INSTALL_PREFIX="$prefix" $EXPAT_FLAGS >/dev/null
cmake --build "$cache/build-expat" -j2 >/dev/null
cmake --install "$cache/build-expat" >/dev/null

sodium_src="$(fetch_source libsodium "$SODIUM_VERSION" "$SODIUM_ORIG_SHA256")"
(
  cd "$sodium_src"
  [ -x configure ] || autoreconf -fi >/dev/null 2>&1
  # shellcheck disable=SC2086
  CFLAGS="$CFLAGS_WASM" emconfigure ./configure --host=wasm32-unknown-emscripten --prefix="$prefix" \
    $SODIUM_FLAGS >/dev/null
  emmake make -j2 >/dev/null 2>&1
  emmake make install >/dev/null
)

echo "$stamp_key" >"$stamp"
echo "wasm deps: built into $prefix"
