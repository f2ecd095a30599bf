// cluster.mjs: an ejabberd cluster behind an HTTP load balancer, from
// Debian's packages, on loopback: PostgreSQL as the store every node shares
// (users, rosters, archives, rooms), two (or more) ejabberd nodes joined
// into one cluster (`join_cluster`; sessions and routes shared through
// mnesia), each with its own BOSH listener, and HAProxy in front, round
// robin with no stickiness, so successive requests of one session go to
// alternate nodes. Everything is stopped when the process exits.
//
// By hand: node tests/support/cluster.mjs [--nodes N] [--user name:password ...]
// prints the balancer's BOSH URL and each node's, then runs until Ctrl-C.
import { spawn, execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEjabberd, freePort } from './ejabberd.mjs';
import { startPostgres } from './postgres.mjs';

const run = promisify(execFile);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Balancers and private epmds still running, for the exit handler (which
// cannot wait: a SIGINT handler elsewhere may exit before stop() is done).
const balancers = new Set();
const epmdPorts = new Set();
process.once('exit', () => {
  for (const b of balancers) {
    b.proc.kill('SIGKILL');
    rmSync(b.dir, { recursive: true, force: true });
  }
  for (const port of epmdPorts) {
    try {
      execFileSync('epmd', ['-port', String(port), '-kill'], { stdio: 'ignore' });
    } catch {
      // not running
    }
  }
});

/** Resolves once something accepts connections on 127.0.0.1:port. */
async function waitListening(port, ms = 15000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port}`);
    await sleep(100);
  }
}

// The balancer. Round robin per request (HAProxy balances every request of
// a kept-alive connection again unless told to prefer the last server).
// A server that refuses connections is marked down after two failed
// checks 300 ms apart, and a request whose connection failed is sent to
// another server (retries + redispatch); a request already on a server that
// dies gets a 502, which the client treats as a lost request (XEP-0124 §14).
// The timeouts outlast BOSH's longest wait. X-Xw-Node names the server
// that answered, so tests can see that a session's requests alternate.
function haproxyConfig({ port, backends }) {
  return `global
  maxconn 8000
defaults
  mode http
  timeout connect 2s
  timeout client 130s
  timeout server 130s
  timeout http-keep-alive 130s
  retries 3
  option redispatch 1
frontend bosh
  bind 127.0.0.1:${port}
  default_backend nodes
backend nodes
  balance roundrobin
  default-server inter 300ms fall 2 rise 2
  http-response set-header X-Xw-Node %[srv_name]
${backends.map((b) => `  server ${b.name} 127.0.0.1:${b.port} check`).join('\n')}
`;
}

/**
 * Starts the deployment. opts: { nodes (default 2), mam, muc, im, inactivity, extraYaml } as
 * startEjabberd's (every store on the shared PostgreSQL), and backendPort(i, port): the port
 * (or a promise of it) the balancer should use for node i (a fault proxy in front of it),
 * default the node's own.
 * Returns { boshUrl (the balancer's), nodes: [ejabberd server], db, register(user, pw),
 * ctl(...args) (on the first node that is up), members(), waitNodes(n) (until n nodes run in
 * the cluster), stop() }.
 */
export async function startCluster(opts = {}) {
  const { nodes: count = 2, backendPort, ...ejabberdOpts } = opts;
  const opened = [];
  const stopAll = async () => {
    for (const close of opened.reverse()) await close().catch(() => {});
    opened.length = 0;
  };
  try {
    const db = await startPostgres();
    opened.push(() => db.stop());
    const epmdPort = await freePort();
    epmdPorts.add(epmdPort);
    opened.push(async () => {
      await run('epmd', ['-port', String(epmdPort), '-kill']).catch(() => {});
      epmdPorts.delete(epmdPort);
    });
    const nodes = [];
    for (let i = 0; i < count; i++) {
      const node = await startEjabberd({ ...ejabberdOpts, sql: db, epmdPort });
      opened.push(() => node.stop());
      nodes.push(node);
      if (i > 0) await node.ctl('join_cluster', nodes[0].node);
    }
    const cluster = {
      db, nodes,
      /** ejabberdctl on the first node that is up (not killed). */
      ctl: (...args) => (nodes.find((n) => !n.down) ?? nodes[0]).ctl(...args),
      register: (user, password) => cluster.ctl('register', user, 'localhost', password),
      /** The nodes running in the cluster, as a node that is up counts them (ejabberdctl list_cluster). */
      members: async () => (await cluster.ctl('list_cluster')).split('\n').map((l) => l.trim().replace(/^'|'$/g, '')).filter(Boolean),
      waitNodes: async (n, ms = 30000) => {
        const deadline = Date.now() + ms;
        while ((await cluster.members()).length < n) {
          if (Date.now() > deadline) throw new Error(`the cluster has not ${n} nodes after ${ms} ms`);
          await sleep(250);
        }
      },
    };
    await cluster.waitNodes(count);

    const dir = mkdtempSync(path.join(os.tmpdir(), 'xw-haproxy-'));
    opened.push(async () => rmSync(dir, { recursive: true, force: true }));
    const port = await freePort();
    const backends = [];
    for (const [i, n] of nodes.entries()) backends.push({ name: `node${i + 1}`, port: backendPort ? await backendPort(i, n.httpPort) : n.httpPort });
    await fs.writeFile(path.join(dir, 'haproxy.cfg'), haproxyConfig({ port, backends }));
    const haproxy = spawn('haproxy', ['-f', path.join(dir, 'haproxy.cfg'), '-db', '-q'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let haproxyErr = '';
    haproxy.stderr.on('data', (d) => { haproxyErr += d; });
    const exited = new Promise((resolve) => haproxy.once('exit', resolve));
    const balancer = { proc: haproxy, dir };
    balancers.add(balancer);
    opened.push(async () => {
      if (haproxy.exitCode === null) haproxy.kill('SIGTERM');
      await Promise.race([exited, sleep(3000)]);
      if (haproxy.exitCode === null) haproxy.kill('SIGKILL');
      balancers.delete(balancer);
    });
    await Promise.race([waitListening(port), exited.then(() => { throw new Error(`haproxy exited: ${haproxyErr}`); })]);
    cluster.boshUrl = `http://127.0.0.1:${port}/bosh`;
    cluster.domain = 'localhost';
    cluster.stop = stopAll;
    return cluster;
  } catch (err) {
    await stopAll();
    throw err;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const nodesAt = args.indexOf('--nodes');
  const users = args.flatMap((a, i) => (args[i - 1] === '--user' ? [a.split(':')] : []));
  const cluster = await startCluster({ nodes: nodesAt >= 0 ? Number(args[nodesAt + 1]) : 2, mam: true, muc: true, im: true });
  for (const [user, password] of users) await cluster.register(user, password);
  console.log(`balancer: ${cluster.boshUrl}`);
  cluster.nodes.forEach((n, i) => console.log(`node${i + 1}: ${n.node} ${n.boshUrl}`));
  console.log(`PostgreSQL: 127.0.0.1:${cluster.db.port} database ${cluster.db.database}`);
  console.log('Ctrl-C stops everything.');
  process.once('SIGINT', async () => {
    await cluster.stop();
    process.exit(0);
  });
}
