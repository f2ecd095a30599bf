// bundles.mjs: builds what a page downloads for each client into
// build/bench/ (esbuild --bundle --minify, as an app's bundler ships it)
// and measures it raw, gzip -9 and brotli. The benchmark pages load these
// same files, so what is measured is what runs.
import path from 'node:path';
import fs from 'node:fs/promises';
import { gzipSync, brotliCompressSync, constants as zlib } from 'node:zlib';
import * as esbuild from 'esbuild';

const here = path.dirname(new URL(import.meta.url).pathname);

// name -> the entry, and the extra files that page loads with it.
const CLIENTS = {
  'xmpp-wasm': { entry: 'xmpp-wasm.js', worker: 'xmpp-wasm-worker.js', wasm: 'dist/xmpp-wasm.wasm' },
  'Strophe.js': { entry: 'strophe.js' },
  StanzaJS: { entry: 'stanza.js' },
};

const sizes = (bytes) => ({
  raw: bytes.length,
  gzip: gzipSync(bytes, { level: 9 }).length,
  brotli: brotliCompressSync(bytes, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }).length,
});

async function bundle(entry, outfile) {
  await esbuild.build({
    entryPoints: [path.join(here, 'entries', entry)],
    outfile,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    // StanzaJS leaves Node's `events` to the bundler.
    alias: { events: path.join(here, 'events-shim.js') },
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'error',
  });
  return fs.readFile(outfile);
}

/**
 * Builds the bundles into outDir: xmpp-wasm.js (+ shared-worker.js, named as
 * the package's own module asks for it, and xmpp-wasm.wasm beside it),
 * strophe.js, stanza.js. Returns { client: { files: [{file, raw, gzip, brotli}], total } }.
 */
export async function buildBundles(root, outDir) {
  await fs.mkdir(outDir, { recursive: true });
  const out = {};
  for (const [name, c] of Object.entries(CLIENTS)) {
    const files = [];
    const js = await bundle(c.entry, path.join(outDir, c.entry));
    files.push({ file: c.entry, ...sizes(js) });
    if (c.worker) {
      const w = await bundle(c.worker, path.join(outDir, 'shared-worker.js'));
      files.push({ file: 'shared-worker.js (SharedWorker, default shareAcrossTabs)', ...sizes(w) });
    }
    if (c.wasm) {
      const bytes = await fs.readFile(path.join(root, c.wasm));
      await fs.writeFile(path.join(outDir, path.basename(c.wasm)), bytes);
      files.push({ file: path.basename(c.wasm), ...sizes(bytes) });
    }
    const total = { raw: 0, gzip: 0, brotli: 0 };
    for (const f of files) for (const k of Object.keys(total)) total[k] += f[k];
    out[name] = { files, total };
  }
  return out;
}
