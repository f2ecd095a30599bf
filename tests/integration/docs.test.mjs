// docs.test.mjs: the README and docs/ say what works. Every relative link
// resolves (the file, and a #heading in it); every JavaScript or TypeScript
// code block either runs here, against the test ejabberd with the sample's
// service, domain and password replaced, or is marked right after it with
// <!-- not run: the reason -->. The API reference (`npm run docs`, TypeDoc
// from web/index.d.ts and web/chat.d.ts) builds without a warning, every
// export documented (typedocOptions in package.json: validation), and has
// a page for every export of the package.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startEjabberd } from '../support/ejabberd.mjs';
import { waitFor } from '../support/wait.mjs';
import { createClient } from '../../dist/index.js';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const pages = ['README.md', ...fs.readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const read = (page) => fs.readFileSync(path.join(root, page), 'utf8');

/** Fenced code blocks of a Markdown text: { lang, code, line, after } (after: the text that follows the fence). */
function codeBlocks(text) {
  const blocks = [];
  const re = /^```(\w*)\n([\s\S]*?)^```\n?/gm;
  let m;
  while ((m = re.exec(text))) {
    blocks.push({ lang: m[1], code: m[2], line: text.slice(0, m.index).split('\n').length, after: text.slice(re.lastIndex) });
  }
  return blocks;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');

test('every relative link in README.md and docs/ resolves, to the file and to a heading in it', () => {
  const broken = [];
  for (const page of pages) {
    // Links outside code blocks: [text](target).
    const text = read(page).replace(/^```[\s\S]*?^```/gm, '');
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/i.test(target)) continue; // https:, mailto:
      const [file, anchor] = target.split('#');
      const resolved = file ? path.join(path.dirname(path.join(root, page)), file) : path.join(root, page);
      if (!fs.existsSync(resolved)) {
        broken.push(`${page}: ${target} (no such file)`);
        continue;
      }
      if (anchor) {
        const headings = fs.readFileSync(resolved, 'utf8').replace(/^```[\s\S]*?^```/gm, '').match(/^#+ .*$/gm) ?? [];
        if (!headings.some((h) => slug(h.replace(/^#+ /, '')) === anchor)) broken.push(`${page}: ${target} (no such heading)`);
      }
    }
  }
  assert.deepEqual(broken, [], 'every link resolves');
});

// The JavaScript samples, each run or marked.
const samples = [];
for (const page of pages) {
  for (const b of codeBlocks(read(page))) {
    if (!['js', 'javascript', 'mjs', 'ts', 'typescript'].includes(b.lang)) continue;
    const mark = /^\s*<!-- not run: ([^>]+?) -->/.exec(b.after);
    samples.push({ page, ...b, skip: mark?.[1] });
  }
}

test('every JavaScript or TypeScript sample in README.md and docs/ is run by this file or says why not', () => {
  const unmarked = samples.filter((s) => s.skip === undefined && !['js', 'javascript', 'mjs'].includes(s.lang));
  assert.deepEqual(unmarked.map((s) => `${s.page}:${s.line}`), [], 'a TypeScript sample is marked <!-- not run: … -->');
  assert.ok(samples.some((s) => s.skip === undefined), 'at least one sample runs');
});

test('npm run docs: the API reference builds without a warning, and every export of the package has its page', async () => {
  const { stdout, stderr } = await run('npm', ['run', '--silent', 'docs'], { cwd: root, timeout: 120000 });
  const out = (stdout + stderr).replace(/\x1b\[[0-9;]*m/g, '');
  assert.doesNotMatch(out, /\[warning\]|\[error\]/, `TypeDoc warns of nothing (undocumented or unexported items included):\n${out}`);
  // What the package exports: every declaration of the two .d.ts files, and the runtime exports.
  const declared = new Set();
  for (const f of ['web/index.d.ts', 'web/chat.d.ts']) {
    for (const [, name] of read(f).matchAll(/^export (?:declare )?(?:interface|class|type|function|const) (\w+)/gm)) declared.add(name);
  }
  const runtime = Object.keys(await import('../../dist/index.js'));
  assert.deepEqual(runtime.filter((n) => !declared.has(n)), [], 'every runtime export is declared in index.d.ts');
  const pagesOf = fs.readdirSync(path.join(root, 'build/docs'), { recursive: true }).map(String);
  const missing = [...declared].filter((name) => !pagesOf.some((f) => f.endsWith(`.${name}.html`)));
  assert.deepEqual(missing, [], 'every export has its page in build/docs');
});

test('getting started, "without it": on an ejabberd without the archive, blocking and group chat, history(), block() and join() reject with the conditions the table gives', async () => {
  const bare = await startEjabberd({});
  try {
    await bare.register('alice', 'alice-pw');
    const client = createClient({ service: bare.boshUrl, jid: 'alice@localhost', password: 'alice-pw' });
    await client.connect();
    const conditionOf = (p) => p.then(() => 'resolved', (e) => e.condition);
    assert.equal(await conditionOf(client.history('bob@localhost')), 'service-unavailable', 'XEP-0313 missing: history() rejects');
    assert.equal(await conditionOf(client.block('spammer@localhost')), 'service-unavailable', 'XEP-0191 missing: block() rejects');
    assert.equal(await conditionOf(client.join('lunch@conference.localhost', { nick: 'Alice' })), 'remote-server-not-found',
      'XEP-0045 service missing: join() rejects');
    await client.disconnect();
  } finally {
    await bare.stop();
  }
});

let server;
before(async () => {
  if (!samples.some((s) => s.skip === undefined)) return;
  server = await startEjabberd({ mam: true, muc: true, im: true });
  await Promise.all(['alice', 'bob'].map((u) => server.register(u, `${u}-pw`)));
});
after(async () => { await server?.stop(); });

for (const sample of samples.filter((s) => s.skip === undefined)) {
  test(`the sample at ${sample.page}:${sample.line} runs against ejabberd, and what it sends arrives`, async () => {
    // What a reader fills in: the service, the domain, the password.
    const code = sample.code
      .replace(/from 'xmpp-wasm'/g, `from '${pathToFileURL(path.join(root, 'dist/index.js'))}'`)
      .replace(/'https:\/\/chat\.example\.com\/bosh'/g, `'${server.boshUrl}'`)
      .replace(/example\.com/g, 'localhost') // bob@example.com, conference.example.com
      .replace(/password: 'secret'/g, "password: 'alice-pw'");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xw-sample-'));
    const file = path.join(dir, 'sample.mjs');
    fs.writeFileSync(file, code);
    // bob online, to see what the sample sends him.
    const bob = createClient({ service: server.boshUrl, jid: 'bob@localhost', password: 'bob-pw' });
    const got = [];
    bob.on('message', (m) => { if (m.body) got.push(m.body); });
    try {
      await bob.connect();
      const { stdout } = await run(process.execPath, [file], { cwd: dir, timeout: 30000 });
      console.log(`${sample.page}:${sample.line} printed:\n${stdout}`);
      // What it sends bob (after the replacement above).
      const sent = [...code.matchAll(/to: 'bob@localhost', body: '([^']+)'/g)].map((m) => m[1]);
      if (sent.length) await waitFor(bob, 'message', (m) => m.body === sent.at(-1), 10000, `the sample's message "${sent.at(-1)}"`).catch(() => {});
      assert.deepEqual(got.filter((b) => sent.includes(b)), sent, `bob got what the sample sent (its output: ${stdout})`);
    } finally {
      await bob.disconnect().catch(() => {});
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
