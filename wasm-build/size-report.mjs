// size-report.mjs: where the bytes of dist/xmpp-wasm.wasm go. Prints its
// sections, then its functions by size grouped by origin: core/, expat,
// libsodium, libc/emscripten. Function names come from the symbol map
// build.sh's wasm-opt writes (build/wasm/xmpp-wasm.symbols), or from a name
// section when the file has one; the origin of a name from the archives it
// was linked from (llvm-nm reads their LTO bitcode).
//
//   node wasm-build/size-report.mjs [--top N] [file.wasm [file.symbols]]
// Run `bash wasm-build/build.sh` first.
import { readFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
let top = 25;
const at = args.indexOf('--top');
if (at >= 0) top = Number(args.splice(at, 2)[1]);
const file = args[0] ?? path.join(root, 'dist/xmpp-wasm.wasm');
const symbols = args[1] ?? (args[0] ? null : path.join(root, 'build/wasm/xmpp-wasm.symbols'));
if (!existsSync(file)) {
  console.error(`size-report: ${file} is missing; run bash wasm-build/build.sh first`);
  process.exit(1);
}
const bytes = readFileSync(file);

// A minimal reader of the binary format: sections, code bodies, names.
let pos = 8;
const u32 = () => {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[pos++];
    result |= (b & 0x7f) << shift;
    if (!(b & 0x80)) return result >>> 0;
    shift += 7;
  }
};
const str = () => {
  const n = u32();
  const s = bytes.toString('utf8', pos, pos + n);
  pos += n;
  return s;
};
const SECTION = ['custom', 'type', 'import', 'function', 'table', 'memory', 'global', 'export', 'start', 'elem', 'code', 'data', 'datacount'];
const sections = [];
const bodies = []; // { index, size, start, end }
const names = new Map();
let importedFuncs = 0;
let dataBytes = null;
while (pos < bytes.length) {
  const id = bytes[pos++];
  const size = u32();
  const start = pos;
  const end = start + size;
  let label = SECTION[id] ?? `id ${id}`;
  if (id === 0) {
    const name = str();
    label = `custom "${name}"`;
    if (name === 'name') {
      while (pos < end) {
        const sub = bytes[pos++];
        const subSize = u32();
        const subEnd = pos + subSize;
        if (sub === 1) {
          for (let n = u32(); n > 0; n--) {
            const index = u32();
            names.set(index, str());
          }
        }
        pos = subEnd;
      }
    }
  } else if (id === 2) {
    for (let n = u32(); n > 0; n--) {
      str();
      str();
      const kind = bytes[pos++];
      if (kind === 0) {
        importedFuncs++;
        u32();
      } else if (kind === 1) {
        pos++;
        const flags = u32();
        u32();
        if (flags & 1) u32();
      } else if (kind === 2) {
        const flags = u32();
        u32();
        if (flags & 1) u32();
      } else if (kind === 3) {
        pos += 2;
      } else throw new Error(`import kind ${kind}`);
    }
  } else if (id === 10) {
    const count = u32();
    for (let i = 0; i < count; i++) {
      const bodySize = u32();
      bodies.push({ index: importedFuncs + i, size: bodySize, start: pos, end: pos + bodySize });
      pos += bodySize;
    }
  } else if (id === 11) {
    dataBytes = bytes.subarray(start, end);
  }
  sections.push({ label, size, start, end });
  pos = end;
}

// The symbol map: one "index:name" a line, imports first, as the name section.
if (symbols && existsSync(symbols)) {
  for (const line of readFileSync(symbols, 'utf8').split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) names.set(Number(line.slice(0, colon)), line.slice(colon + 1));
  }
}

const gz = (buf) => gzipSync(buf, { level: 9 }).length;
console.log(`${path.relative(root, file)}: ${bytes.length} B (${gz(bytes)} B gzip -9)`);
console.log('\nsections (raw B, gzip -9 of the section alone):');
for (const s of sections) {
  console.log(`  ${s.label.padEnd(22)} ${String(s.size).padStart(7)} ${String(gz(bytes.subarray(s.start, s.end))).padStart(7)}`);
}
if (names.size === 0) {
  console.log('\nno function names: no symbol map (build/wasm/xmpp-wasm.symbols) and no name section');
  process.exit(0);
}

// Origins: the symbols each archive defines (LTO bitcode: llvm-nm reads it).
const prefix = execFileSync('bash', [path.join(root, 'wasm-build/deps.sh'), '--print-prefix'], { encoding: 'utf8' }).trim();
const archives = [
  ['core/', path.join(root, 'build/wasm/libxw_core.a')],
  ['expat', path.join(prefix, 'lib/libexpat.a')],
  ['libsodium', path.join(prefix, 'lib/libsodium.a')],
];
const origin = new Map();
for (const [label, archive] of archives) {
  if (!existsSync(archive)) continue;
  const out = execFileSync('llvm-nm', ['--defined-only', '-j', archive], { encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'ignore'] });
  for (const sym of out.split('\n')) if (sym && !sym.endsWith(':') && !origin.has(sym)) origin.set(sym, label);
}
// Binaryen merges similar functions into "byn$mgfn-shared$<one of them>";
// LTO may suffix a local's name with ".<n>" or ".llvm.<n>".
const originOf = (name) => {
  const base = name.replace(/^byn\$mgfn-shared\$/, '').replace(/(\.llvm)?\.\d+$/, '');
  return origin.get(base) ?? 'libc/emscripten';
};

const groups = new Map();
for (const b of bodies) {
  const name = names.get(b.index) ?? `func[${b.index}]`;
  const o = originOf(name);
  if (!groups.has(o)) groups.set(o, []);
  groups.get(o).push({ name, size: b.size, bytes: bytes.subarray(b.start, b.end) });
}
const order = ['core/', 'expat', 'libsodium', 'libc/emscripten'];
const codeTotal = bodies.reduce((n, b) => n + b.size, 0);
console.log(`\ncode by origin (${bodies.length} functions, ${codeTotal} B of bodies; gzip -9 of each origin's bodies alone):`);
for (const o of order) {
  const fs = groups.get(o) ?? [];
  const raw = fs.reduce((n, f) => n + f.size, 0);
  const zipped = fs.length ? gz(Buffer.concat(fs.map((f) => f.bytes))) : 0;
  console.log(`  ${o.padEnd(16)} ${String(fs.length).padStart(4)} functions ${String(raw).padStart(7)} B ${String(zipped).padStart(7)} B gzip`);
}
if (dataBytes) console.log(`  ${'data (all)'.padEnd(16)} ${''.padStart(14)} ${String(dataBytes.length).padStart(7)} B ${String(gz(dataBytes)).padStart(7)} B gzip`);
for (const o of order) {
  const fs = (groups.get(o) ?? []).sort((a, b) => b.size - a.size);
  if (!fs.length) continue;
  console.log(`\n${o}: top ${Math.min(top, fs.length)} of ${fs.length} functions (B)`);
  for (const f of fs.slice(0, top)) console.log(`  ${String(f.size).padStart(6)}  ${f.name}`);
}
