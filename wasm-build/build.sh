#!/usr/bin/env bash
# build.sh: builds dist/ — the core as one standalone .wasm plus the ES
# modules and type declarations from web/. expat and libsodium for wasm32
# come from wasm-build/deps.sh (Debian source packages, pinned, cached).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

# Debian's emscripten optimizer needs Node modules from Debian's tree.
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}

prefix="$(bash wasm-build/deps.sh --print-prefix)"
bash wasm-build/deps.sh >&2

build_dir="build/wasm"
emcmake cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=MinSizeRel -DXW_WASM_DEPS="$prefix" >/dev/null
cmake --build "$build_dir" -j2 >/dev/null

mkdir -p dist
cp "$build_dir/xmpp-wasm.wasm" dist/xmpp-wasm.wasm
cp web/*.js web/*.d.ts dist/

wasm_raw=$(stat -c %s dist/xmpp-wasm.wasm)
wasm_gz=$(gzip -9 -c dist/xmpp-wasm.wasm | wc -c)
js_raw=$(cat dist/*.js | wc -c)
js_gz=$(cat dist/*.js | gzip -9 | wc -c)
echo "dist/: xmpp-wasm.wasm ${wasm_raw} B (${wasm_gz} B gzip), JS ${js_raw} B (${js_gz} B gzip)"
