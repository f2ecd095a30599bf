// prosody.mjs: starts a private Prosody (Debian's package) for interop
// tests: its own config, data and log in a temp folder, BOSH over HTTP at
// /http-bind on a loopback port the OS picks, no c2s or s2s listener
// beyond loopback, run in the foreground as user prosody and stopped when
// the tests end (or the process exits).
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './ejabberd.mjs';

const run = promisify(execFile);
const running = new Set();

// What a chat client leans on beyond the defaults of this config: carbons,
// blocking, stream management and the archive (XEP-0280, 0191, 0198, 0313),
// and a group chat service with its own archive. Debian's shipped
// /etc/prosody/prosody.cfg.lua enables carbons, blocklist and smacks but
// leaves mam, bosh and any muc component commented out.
const IM_MODULES = ['carbons', 'blocklist', 'smacks', 'mam'];

function config({ dir, httpPort, c2sPort, im }) {
  return `-- Generated for a test run: loopback only.
daemonize = false
pidfile = "${dir}/prosody.pid"
data_path = "${dir}/data"
log = { { levels = { min = "warn" }, to = "file", filename = "${dir}/prosody.log" } }
interfaces = { "127.0.0.1" }
local_interfaces = { "127.0.0.1" }
c2s_ports = { ${c2sPort} }
s2s_ports = { }
http_ports = { ${httpPort} }
http_interfaces = { "127.0.0.1" }
https_ports = { }
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
consider_bosh_secure = true
cross_domain_bosh = true
authentication = "internal_hashed"
modules_enabled = { "roster", "saslauth", "disco", "ping", "bosh", "http"${im ? IM_MODULES.map((m) => `, "${m}"`).join('') : ''} }
modules_disabled = { "s2s", "tls" }
${im ? 'archive_expires_after = "1d"\ndefault_archive_policy = true\n' : ''}VirtualHost "localhost"
${im ? 'Component "conference.localhost" "muc"\n  modules_enabled = { "muc_mam" }\n  restrict_room_creation = "local"\n' : ''}`;
}

/** Starts Prosody (opts.im: the modules above and conference.localhost);
 * returns { boshUrl, domain, register(user, pw), stop() }. */
export async function startProsody(opts = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xw-prosody-'));
  const [httpPort, c2sPort] = await Promise.all([freePort(), freePort()]);
  const cfg = path.join(dir, 'prosody.cfg.lua');
  await fs.mkdir(path.join(dir, 'data'));
  await fs.writeFile(cfg, config({ dir, httpPort, c2sPort, im: !!opts.im }));
  await run('chown', ['-R', 'prosody:prosody', dir]);
  const child = spawn('runuser', ['-u', 'prosody', '--', 'prosody', '--config', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const server = {
    dir, httpPort, child, domain: 'localhost',
    boshUrl: `http://127.0.0.1:${httpPort}/http-bind`,
    register: (user, password) =>
      run('runuser', ['-u', 'prosody', '--', 'prosodyctl', '--config', cfg, 'register', user, 'localhost', password],
        { timeout: 30000 }),
    stop: async () => {
      if (!running.has(server)) return;
      running.delete(server);
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  running.add(server);
  // Up when BOSH answers.
  const deadline = Date.now() + 20000;
  for (;;) {
    try {
      const res = await fetch(server.boshUrl, { method: 'GET' });
      if (res.status) break;
    } catch {
      // not yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      const log = await fs.readFile(path.join(dir, 'prosody.log'), 'utf8').catch(() => '');
      await server.stop();
      throw new Error(`prosody did not start: ${output}\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return server;
}

// 'exit' handlers cannot wait: kill what is left, synchronously.
process.once('exit', () => {
  for (const server of running) {
    server.child.kill('SIGKILL');
    rmSync(server.dir, { recursive: true, force: true });
  }
});
