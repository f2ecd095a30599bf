// serve.mjs: `npm run demo`. Starts a private ejabberd on loopback with two
// demo users, serves the demo page and dist/ on loopback, prints the URL,
// and stops everything on Ctrl-C.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEjabberd } from '../tests/support/ejabberd.mjs';
import { startStaticServer } from '../tests/support/static-server.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const server = await startEjabberd();
const users = [
  { jid: `alice@${server.domain}`, password: 'alice-demo' },
  { jid: `bob@${server.domain}`, password: 'bob-demo' },
];
await server.register('alice', users[0].password);
await server.register('bob', users[1].password);

const config = JSON.stringify({ service: server.boshUrl, users });
const web = await startStaticServer(root, {
  routes: {
    '/': { type: 'text/html; charset=utf-8', file: path.join(root, 'demo/index.html') },
    '/demo-config.json': { type: 'application/json', body: config },
  },
});

console.log(`xmpp-wasm demo: open ${web.url}/ (ejabberd BOSH at ${server.boshUrl})`);
console.log('Press Ctrl-C to stop.');

const stop = async () => {
  await web.close();
  await server.stop();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
