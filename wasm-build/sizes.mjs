// sizes.mjs: the download figures of dist/, measured one way for build.sh's
// summary and for the size budget test (tests/integration/size-budget.test.mjs).
//   createClient: dist/xmpp-wasm.wasm plus dist/index.js and its imports as a
//     production bundle (esbuild: bundled, minified, ES2022, as a page's
//     bundler ships them), each gzip -9.
//   widget: what dist/chat.js adds on top, gzip -9: the bundle of chat.js
//     (which includes index.js) less the bundle of index.js.
// Bytes throughout; the summary's KB are 1024 bytes.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import * as esbuild from 'esbuild';

const gzip = (bytes) => gzipSync(bytes, { level: 9 }).length;

async function bundle(entry) {
  const out = await esbuild.build({
    entryPoints: [entry], bundle: true, minify: true, format: 'esm', target: 'es2022',
    legalComments: 'none', write: false, logLevel: 'warning',
  });
  return out.outputFiles[0].contents;
}

/** The figures for the dist/ folder under `root`. */
export async function measureDist(root) {
  const dist = path.join(root, 'dist');
  const wasm = readFileSync(path.join(dist, 'xmpp-wasm.wasm'));
  const api = await bundle(path.join(dist, 'index.js'));
  const withWidget = await bundle(path.join(dist, 'chat.js'));
  const figures = {
    wasmRaw: wasm.length,
    wasmGzip: gzip(wasm),
    jsRaw: api.length,
    jsGzip: gzip(api),
    widgetRaw: withWidget.length - api.length,
    widgetGzip: gzip(withWidget) - gzip(api),
  };
  figures.createClientGzip = figures.wasmGzip + figures.jsGzip;
  return figures;
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

/** The summary lines build.sh prints (the same figures the budget test checks). */
export function describe(f) {
  return [
    `  wasm          xmpp-wasm.wasm ${f.wasmRaw} B raw, ${f.wasmGzip} B gzip`,
    `  JS            index.js + imports, minified bundle: ${f.jsRaw} B raw, ${f.jsGzip} B gzip`,
    `  createClient  wasm + JS: ${f.createClientGzip} B gzip (${kb(f.createClientGzip)})`,
    `  widget        chat.js on top, minified: ${f.widgetRaw} B raw, ${f.widgetGzip} B gzip (${kb(f.widgetGzip)})`,
  ].join('\n');
}
