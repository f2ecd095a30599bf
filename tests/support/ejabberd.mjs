// ejabberd.mjs: starts a private ejabberd (Debian's package) for tests,
// the demo and benchmarks: its own config, spool and logs in a temp folder,
// every listener on 127.0.0.1 at a free port (BOSH over HTTP, c2s, and the
// Erlang distribution without epmd), stopped when the process exits.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const run = promisify(execFile);
const running = new Set();
let counter = 0;

/** A free TCP port on 127.0.0.1 (the OS picks it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// What a chat client leans on, besides roster and disco above: roster
// versioning (RFC 6121 §2.6), carbons (XEP-0280), blocking (XEP-0191, on
// mod_privacy), entity capabilities (XEP-0115), and room administration
// from ejabberdctl so tests can make members-only, password and ban cases.
const IM_MODULES = `  mod_carboncopy: {}
  mod_privacy: {}
  mod_blocking: {}
  mod_caps: {}
  mod_muc_admin: {}
`;

// Users, rosters, archives and rooms on PostgreSQL (ejabberd's pg.sql
// schema), the storage a cluster's nodes share.
const sqlYaml = (sql) => `default_db: sql
sql_type: pgsql
sql_server: "127.0.0.1"
sql_port: ${sql.port}
sql_database: ${sql.database}
sql_username: ${sql.username}
sql_password: ${sql.password}
sql_pool_size: 4
`;

function yaml({ httpPort, c2sPort, scramHash, mam, muc, im, inactivity = 30, sql, extraYaml }) {
  return `# Generated for a test run: loopback only.
hosts:
  - localhost
loglevel: warning
hide_sensitive_log_data: true
certfiles: []
listen:
  - port: ${httpPort}
    ip: "127.0.0.1"
    module: ejabberd_http
    backlog: 1024
    request_handlers:
      /bosh: mod_bosh
      /ws: ejabberd_http_ws
  - port: ${c2sPort}
    ip: "127.0.0.1"
    module: ejabberd_c2s
    max_stanza_size: 10485760
    shaper: none
    access: c2s
auth_method: ${sql ? 'sql' : 'internal'}
${sql ? sqlYaml(sql) : ''}auth_password_format: scram
${scramHash ? `auth_scram_hash: ${scramHash}\n` : ''}shaper_rules:
  c2s_shaper: none
acl:
  local:
    user_regexp: ""
access_rules:
  c2s:
    allow: all
  local:
    allow: local
api_permissions:
  "console commands":
    from:
      - ejabberd_ctl
    who: all
    what: "*"
modules:
  mod_bosh:
    max_inactivity: ${inactivity}
  mod_disco: {}
  mod_ping: {}
  mod_roster:
    versioning: true
  mod_stream_mgmt: {}
  mod_offline: {}
  mod_private: {}
  mod_admin_extra: {}
${mam ? '  mod_mam:\n    default: always\n' : ''}${muc ? `  mod_muc:\n    host: "conference.localhost"\n    access_create: local\n    default_room_options:\n      mam: ${mam ? 'true' : 'false'}\n` : ''}${im ? IM_MODULES : ''}${extraYaml ?? ''}`;
}

/**
 * Starts ejabberd. opts: { scramHash: 'sha1'|'sha256'|'sha512', mam, muc (rooms archived when mam is on too),
 * im (carbons, blocking, caps, room administration), inactivity (BOSH, s), extraYaml,
 * sql ({ port, database, username, password } of a PostgreSQL: every store there),
 * epmdPort (a private epmd on that loopback port instead of a fixed distribution port: what
 * nodes that cluster need, as each finds the other's port through epmd) }.
 * Returns { boshUrl, domain, httpPort, c2sPort, node, register(user, pw), ctl(...args),
 * kill() (SIGKILL, as a crash), start() (again, after kill), stop() }.
 */
export async function startEjabberd(opts = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xw-ejabberd-'));
  const [httpPort, c2sPort, distPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const node = `xwtest${process.pid}n${++counter}@localhost`;
  await fs.mkdir(path.join(dir, 'db'));
  await fs.writeFile(path.join(dir, 'ejabberd.yml'), yaml({ httpPort, c2sPort, ...opts }));
  // ERL_DIST_PORT: the node listens on one fixed port and needs no epmd.
  // With epmdPort, the node (and every ejabberdctl call: the script sources
  // this file) listens on a port of its own choosing and registers it with
  // a private epmd on loopback, where the other nodes look it up.
  // INET_DIST_INTERFACE keeps the distribution ports on loopback.
  const dist = opts.epmdPort
    ? `ERL_EPMD_ADDRESS=127.0.0.1\nERL_EPMD_PORT=${opts.epmdPort}\nexport ERL_EPMD_PORT\n`
    : `ERL_DIST_PORT=${distPort}\n`;
  await fs.writeFile(path.join(dir, 'ejabberdctl.cfg'),
    `${dist}INET_DIST_INTERFACE=127.0.0.1\nEJABBERD_PID_PATH=${dir}/ejabberd.pid\n` +
    `ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0 +sbwt none +sbwtdcpu none +sbwtdio none"\n`);
  // Erlang's resolver config, as the packaged one; the node reads it from --config-dir.
  await fs.copyFile('/etc/ejabberd/inetrc', path.join(dir, 'inetrc')).catch(() => fs.writeFile(path.join(dir, 'inetrc'), ''));
  // ejabberdctl runs the node as user ejabberd: it must own the folder.
  await run('chown', ['-R', 'ejabberd:ejabberd', dir]);
  const base = ['--config-dir', dir, '--ctl-config', path.join(dir, 'ejabberdctl.cfg'),
    '--config', path.join(dir, 'ejabberd.yml'), '--logs', dir, '--spool', path.join(dir, 'db'), '--node', node];
  // Exit status 3 is ejabberd_ctl's STATUS_BADRPC: the call did not reach
  // the node (seen once, registering users right after 'started' while the
  // machine was busy). Such a call is tried again; any other failure, or a
  // node still unreachable after three tries, fails as it is.
  const ctl = async (...args) => {
    for (let attempt = 1; ; attempt++) {
      try {
        const { stdout } = await run('ejabberdctl', [...base, ...args], { timeout: 60000 });
        return stdout;
      } catch (err) {
        if (err.code !== 3 || attempt === 3 || args[0] === 'stop' || args[0] === 'stopped') throw err;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  };

  let stopping = null;
  const server = {
    dir, node, httpPort, c2sPort, domain: 'localhost',
    boshUrl: `http://127.0.0.1:${httpPort}/bosh`,
    wsUrl: `ws://127.0.0.1:${httpPort}/ws`,
    ctl,
    register: (user, password) => ctl('register', user, 'localhost', password),
    down: false, // killed and not started again
    kill: async () => {
      server.down = true;
      await killNode(node, 'KILL');
    },
    start: async () => {
      await ctl('start');
      await ctl('started');
      server.down = false;
    },
    // One stop, however many ask for it: a second caller (the SIGINT
    // handler below while a test's own cleanup runs) waits for the first.
    stop: () => (stopping ??= (async () => {
      await ctl('stop').catch(() => {});
      await ctl('stopped').catch(() => {});
      await killNode(node);
      rmSync(dir, { recursive: true, force: true });
      running.delete(server);
    })()),
  };
  running.add(server);
  try {
    await server.start();
  } catch (err) {
    const log = await fs.readFile(path.join(dir, 'ejabberd.log'), 'utf8').catch(() => '');
    await server.stop();
    throw new Error(`ejabberd did not start: ${err.message}\n${log.split('\n').slice(-30).join('\n')}`);
  }
  return server;
}

/** Kills what is left of a node whose stop did not finish (or, with
 * signal KILL, a running node, as a crash would). */
async function killNode(node, signal = 'TERM') {
  // '--': the pattern starts with a dash, which pkill would read as options.
  await run('pkill', [`-${signal}`, '-f', '--', `-sname ${node.split('@')[0]}|-name ${node}|${node}`]).catch(() => {});
}

function stopAllSync() {
  for (const server of running) {
    try {
      killNodeSync(server.node);
      rmSync(server.dir, { recursive: true, force: true });
    } catch {
      // best effort on exit
    }
  }
  running.clear();
}

function killNodeSync(node) {
  // 'exit' handlers cannot wait, so this one is synchronous.
  try {
    execFileSync('pkill', ['-f', node]);
  } catch {
    // nothing left to kill
  }
}

process.once('exit', stopAllSync);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, async () => {
    await Promise.all([...running].map((s) => s.stop()));
    process.exit(130);
  });
}
