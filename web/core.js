// core.js: loads the xmpp-wasm core (a standalone .wasm, no Emscripten JS
// glue) and wraps its C API: string marshalling, request/response bytes
// and event batches. Everything else in web/ talks to the core through here.

let corePromise = null;

/**
 * Where a file of the package's dist/ folder (the .wasm, the worker's
 * script) is when Vite's dev server runs this module, else null.
 *
 * Vite's dev server pre-bundles dependencies into node_modules/.vite/deps/,
 * a folder without the files that sit beside this module in the package:
 * it answers the .wasm's URL there with its index.html (status 200) and the
 * worker's with 404. The package's own folder, in the same node_modules, has
 * them. The URL is computed, not a literal in `new URL(…, import.meta.url)`,
 * so that bundlers (webpack, `vite build`) leave it alone at build time.
 */
export function viteDevAssetUrl(file) {
  const here = String(import.meta.url);
  const at = here.indexOf('/node_modules/.vite/deps/');
  if (at < 0) return null;
  return new URL(`${here.slice(0, at)}/node_modules/xmpp-wasm/dist/${file}`);
}

/** Loads and compiles the .wasm once per page (or process). */
function compileModule(source) {
  if (source instanceof WebAssembly.Module) return Promise.resolve(source);
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return WebAssembly.compile(source);
  // A literal URL next to import.meta.url: bundlers (Vite, webpack) ship
  // exactly this file and rewrite the URL; a template would make Vite copy
  // every file of the folder and webpack none.
  const url = source
    ? new URL(String(source), import.meta.url)
    : viteDevAssetUrl('xmpp-wasm.wasm') ?? new URL('./xmpp-wasm.wasm', import.meta.url);
  if (url.protocol === 'file:') {
    // Node: fetch() cannot read file: URLs, so read the bytes directly. The
    // name is a variable so bundlers leave this Node-only import alone
    // (a chunk for it would split the shared worker's bundle).
    const nodeFs = 'node:fs/promises';
    return import(/* webpackIgnore: true */ /* @vite-ignore */ nodeFs)
      .then((fs) => fs.readFile(url))
      .then((bytes) => WebAssembly.compile(bytes));
  }
  return fetchModule(url);
}

/** Fetches and compiles the core, or fails naming the URL and what came
 * back: a server that answers every path with a page (a dev server's SPA
 * fallback, status 200) would otherwise end in a bare CompileError. */
async function fetchModule(url) {
  const fail = (why, cause) => new Error(
    `xmpp-wasm: cannot load the core from ${url}: ${why} (serve xmpp-wasm.wasm there, or pass its URL, bytes or module as the wasm option)`,
    cause ? { cause } : undefined);
  let response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw fail(err?.message ?? String(err), err);
  }
  if (!response.ok) throw fail(`HTTP ${response.status}`);
  const type = response.headers.get('content-type') ?? '';
  if (typeof WebAssembly.compileStreaming === 'function' && /^application\/wasm\s*(;|$)/i.test(type)) {
    return WebAssembly.compileStreaming(response).catch((err) => {
      throw fail(err?.message ?? String(err), err);
    });
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes[0] !== 0x00 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw fail(`the answer is not WebAssembly (${type || 'no Content-Type'}, ${bytes.length} bytes)`);
  }
  return WebAssembly.compile(bytes).catch((err) => {
    throw fail(err?.message ?? String(err), err);
  });
}

/** A C function the core imports but never needs at run time (stdio,
 * exit) fails loudly instead of corrupting state. */
function missingImport(module, name) {
  return () => {
    throw new Error(`xmpp-wasm: the core called ${module}.${name}, which this loader does not provide`);
  };
}

/** The core: one instance per page (or process), shared by every client
 * in it. Each client is a few tens of KB of that instance's memory, where
 * an instance of its own would cost at least the 1 MiB a wasm memory
 * starts with (measured: docs/client.md and the bench's idle-client rows); wasm memory never
 * shrinks, so freed clients' memory is reused by the others. The first
 * caller's `source` is the one loaded. */
export function loadCore(source) {
  if (!corePromise) {
    corePromise = instantiateCore(source);
    corePromise.catch(() => {
      corePromise = null; // a failed load may be tried again
    });
  }
  return corePromise;
}

async function instantiateCore(source) {
  const module = await compileModule(source);
  let memory = null;
  const provided = {
    env: {
      // Standalone wasm grows its own memory; views are refreshed on use.
      emscripten_notify_memory_growth: () => {},
      emscripten_memcpy_big: (dest, src, num) => {
        const heap = new Uint8Array(memory.buffer);
        heap.copyWithin(dest, src, src + num);
      },
    },
    wasi_snapshot_preview1: {
      // libc asks for the environment at start-up: there is none.
      environ_sizes_get: (countPtr, sizePtr) => {
        const view = new DataView(memory.buffer);
        view.setUint32(countPtr, 0, true);
        view.setUint32(sizePtr, 0, true);
        return 0;
      },
      environ_get: () => 0,
      proc_exit: (code) => {
        throw new Error(`xmpp-wasm: the core exited with code ${code}`);
      },
    },
  };
  const imports = {};
  for (const { module: mod, name } of WebAssembly.Module.imports(module)) {
    imports[mod] ??= {};
    imports[mod][name] = provided[mod]?.[name] ?? missingImport(mod, name);
  }
  const instance = await WebAssembly.instantiate(module, imports);
  const x = instance.exports;
  memory = x.memory;
  if (x._initialize) x._initialize();
  const core = new Core(x);
  const seed = new Uint8Array(32);
  globalThis.crypto.getRandomValues(seed);
  const rc = core.withBytes(seed, (ptr) => x.xw_init(ptr));
  if (rc !== 0) throw new Error(`xmpp-wasm: core initialisation failed (${core.strerror(rc)})`);
  return core;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Thin wrapper over the raw exports of one core instance. */
export class Core {
  constructor(exports) {
    this.x = exports;
  }

  heap() {
    return new Uint8Array(this.x.memory.buffer);
  }

  /** Copies bytes into wasm memory for the duration of fn(ptr, len). */
  withBytes(bytes, fn) {
    const ptr = this.x.malloc(bytes.length || 1);
    if (!ptr) throw new Error('xmpp-wasm: out of memory');
    try {
      this.heap().set(bytes, ptr);
      return fn(ptr, bytes.length);
    } finally {
      this.x.free(ptr);
    }
  }

  /** Calls fn with a NUL-terminated UTF-8 copy of a secret (a password),
   * then zeroes that copy in wasm memory and the encoded bytes in JS. */
  withSecret(secret, fn) {
    const bytes = encoder.encode(String(secret));
    const ptr = this.x.malloc(bytes.length + 1);
    if (!ptr) throw new Error('xmpp-wasm: out of memory');
    try {
      const heap = this.heap();
      heap.set(bytes, ptr);
      heap[ptr + bytes.length] = 0;
      return fn(ptr);
    } finally {
      this.heap().fill(0, ptr, ptr + bytes.length + 1);
      bytes.fill(0);
      this.x.free(ptr);
    }
  }

  /** Calls fn with NUL-terminated UTF-8 copies of strings (null stays 0). */
  withStrings(strings, fn) {
    const ptrs = [];
    try {
      for (const s of strings) {
        if (s === null || s === undefined) {
          ptrs.push(0);
          continue;
        }
        const bytes = encoder.encode(String(s));
        const ptr = this.x.malloc(bytes.length + 1);
        if (!ptr) throw new Error('xmpp-wasm: out of memory');
        const heap = this.heap();
        heap.set(bytes, ptr);
        heap[ptr + bytes.length] = 0;
        ptrs.push(ptr);
      }
      return fn(...ptrs);
    } finally {
      for (const p of ptrs) if (p) this.x.free(p);
    }
  }

  /** Bytes of s in UTF-8. */
  byteLength(s) {
    return encoder.encode(String(s)).length;
  }

  readString(ptr, len) {
    if (len === undefined) {
      const heap = this.heap();
      let end = ptr;
      while (heap[end]) end++;
      len = end - ptr;
    }
    return decoder.decode(new Uint8Array(this.x.memory.buffer, ptr, len));
  }

  strerror(code) {
    return this.readString(this.x.xw_strerror(code));
  }
}
