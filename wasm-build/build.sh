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

# esbuild and binaryen (pinned devDependencies) make the one-file build and
# optimize the .wasm: a clean clone has no node_modules yet.
[ -d node_modules/esbuild ] && [ -d node_modules/binaryen ] || npm ci --no-audit --no-fund >&2

mkdir -p dist
rm -f dist/*.js dist/*.d.ts # nothing stale from a module since renamed
# binaryen's wasm-opt, newer than the one emcc runs, shrinks the module
# further; the features are the ones the objects were compiled for. The
# stack* exports come with Emscripten's runtime, which is not used. The
# names go to a symbol map (for size-report.mjs), not into dist/.
node_modules/.bin/wasm-opt "$build_dir/xmpp-wasm.wasm" \
  --mvp-features --enable-mutable-globals --enable-sign-ext --enable-bulk-memory --enable-bulk-memory-opt \
  --remove-exports --pass-arg='remove-exports@stack*' -Oz \
  --symbolmap="$build_dir/xmpp-wasm.symbols" -o dist/xmpp-wasm.wasm
cp web/*.js web/*.d.ts dist/

# dist/xmpp-chat.js: the widget (web/chat.js) and the package's API in one
# file, for a page without a bundler: one <script type="module"> and
# xmpp-wasm.wasm beside it (core.js finds it with new URL(…,
# import.meta.url), which esbuild leaves as is). Run as a SharedWorker's
# script, the same file is the worker: shared.js's worker URL is this file's
# own in the bundle. Then the sizes (wasm-build/sizes.mjs: the figures the
# size budget test checks), and a report of the .wasm by function: node
# wasm-build/size-report.mjs.
node --input-type=module - <<'JS'
import * as esbuild from 'esbuild';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const workerUrl = "new URL('./shared-worker.js', import.meta.url)";
const ownUrl = {
  name: 'worker-is-this-file',
  setup(build) {
    build.onLoad({ filter: /[\\/]web[\\/]shared\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (text.split(workerUrl).length !== 2) throw new Error(`web/shared.js: expected ${workerUrl} once`);
      return { contents: text.replace(workerUrl, 'new URL(import.meta.url)'), loader: 'js' };
    });
  },
};
const entry = `export * from './index.js';
if (typeof SharedWorkerGlobalScope === 'function' && self instanceof SharedWorkerGlobalScope) await import('./shared-worker.js');
else if (typeof document !== 'undefined') await import('./chat.js');
`;
await esbuild.build({
  stdin: { contents: entry, resolveDir: 'web', sourcefile: 'xmpp-chat.js' },
  bundle: true, format: 'esm', target: 'es2022', minify: true, legalComments: 'none',
  outfile: 'dist/xmpp-chat.js', plugins: [ownUrl], logLevel: 'warning',
});
const out = readFileSync('dist/xmpp-chat.js', 'utf8');
for (const must of ['new URL("./xmpp-wasm.wasm",import.meta.url)', 'new URL(import.meta.url)']) {
  if (!out.includes(must)) throw new Error(`dist/xmpp-chat.js lacks ${must}`);
}

const { measureDist, describe } = await import(`${process.cwd()}/wasm-build/sizes.mjs`);
console.log(`dist/ sizes (gzip -9):\n${describe(await measureDist(process.cwd()))}`);
const one = readFileSync('dist/xmpp-chat.js');
console.log(`  one file      xmpp-chat.js: ${one.length} B raw, ${gzipSync(one, { level: 9 }).length} B gzip`);
JS
