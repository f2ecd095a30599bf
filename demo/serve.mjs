// serve.mjs: `npm run demo`. Starts a private ejabberd on loopback (archive,
// rooms, carbons, blocking) with three demo users who have each other in
// their rosters and a persistent, archived room; serves the demo page (the
// <xmpp-chat> widget) and dist/ on 127.0.0.1 under a strict
// Content-Security-Policy; prints the URL and the logins; and on Ctrl-C
// (SIGINT) or SIGTERM stops ejabberd and the web server.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEjabberd } from '../tests/support/ejabberd.mjs';
import { startStaticServer } from '../tests/support/static-server.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NAMES = ['alice', 'bob', 'carol'];
const ROOM = 'lobby';
const MUC_SERVICE = 'conference.localhost';

// ejabberd.mjs stops its servers on a signal and exits at once with 130;
// here the demo stops them itself, web server first, and exits when all of
// it is down. Its 'exit' hook stays as the backstop (it kills what is left).
process.removeAllListeners('SIGINT');
process.removeAllListeners('SIGTERM');

let server;
let web;
let stopping = false;
async function stop(code) {
  if (stopping) return; // a second Ctrl-C: already on it
  stopping = true;
  console.log('\nstopping the web server and ejabberd…');
  await web?.close().catch(() => {});
  await server?.stop().catch(() => {});
  process.exit(code);
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

try {
  server = await startEjabberd({ mam: true, muc: true, im: true });
  const { domain } = server;
  const users = NAMES.map((name) => ({ jid: `${name}@${domain}`, password: `${name}-demo` }));
  // Each ejabberdctl call is a short-lived Erlang node: side by side where they can be.
  await Promise.all(NAMES.map((name, i) => server.register(name, users[i].password)));
  // Everyone in everyone's roster, subscription both (RFC 6121 §2). ejabberd
  // 23.01: add_rosteritem localuser localhost user host nick group subs.
  const capital = (name) => name[0].toUpperCase() + name.slice(1);
  await Promise.all(NAMES.flatMap((a) => NAMES.filter((b) => b !== a)
    .map((b) => server.ctl('add_rosteritem', a, domain, b, domain, capital(b), 'Demo', 'both'))));
  // The room (XEP-0045): kept when empty, archived (XEP-0313).
  const room = `${ROOM}@${MUC_SERVICE}`;
  await server.ctl('create_room', ROOM, MUC_SERVICE, domain);
  await Promise.all([['persistent', 'true'], ['mam', 'true'], ['title', 'Demo lobby'], ['public', 'true']]
    .map(([option, value]) => server.ctl('change_room_option', ROOM, MUC_SERVICE, option, value)));

  const boshOrigin = new URL(server.boshUrl).origin;
  // No 'unsafe-inline', no 'unsafe-eval': scripts and styles only from files
  // of this origin; 'wasm-unsafe-eval' lets the core compile (CSP Level 3).
  const csp = [
    "default-src 'none'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self'",
    `connect-src 'self' ${boshOrigin}`,
    "style-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  const config = JSON.stringify({ service: server.boshUrl, users, room });
  web = await startStaticServer(root, {
    prefixes: ['demo', 'dist'],
    headers: {
      'Content-Security-Policy': csp,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    },
    routes: {
      '/': { type: 'text/html; charset=utf-8', file: path.join(root, 'demo/index.html') },
      '/demo-config.json': { type: 'application/json', body: config },
    },
  });

  const width = Math.max(...users.map((u) => u.jid.length));
  const pwWidth = Math.max(...users.map((u) => u.password.length));
  console.log(`xmpp-wasm demo: open ${web.url}/`);
  console.log('logins (the widget asks for them; several tabs or browsers can be different users):');
  for (const u of users) console.log(`  ${u.jid.padEnd(width)}  password ${u.password.padEnd(pwWidth)}  ${web.url}/?jid=${u.jid}`);
  console.log(`room: ${room} (persistent, archived)`);
  console.log(`ejabberd: BOSH ${server.boshUrl}, node ${server.node}, files in ${server.dir}`);
  console.log('Press Ctrl-C to stop.');
} catch (err) {
  if (!stopping) {
    console.error(`demo: could not start: ${err.message}`);
    await stop(1);
  }
}
