// shared-worker.js: the SharedWorker that holds the sessions every tab of
// an origin shares (see shared.js, owner.js): one SessionHost, with its Client and
// core, per service and account; each tab is a port.

import { SessionHost, sessionKey, batchedPost, forEachMessage } from './owner.js';

const hosts = new Map(); // session key -> SessionHost
const tabs = new Map(); // tab id -> { host, port }

function hostFor(key) {
  let host = hosts.get(key);
  if (!host) {
    host = new SessionHost(() => {
      if (hosts.get(key) === host) hosts.delete(key);
    });
    hosts.set(key, host);
  }
  return host;
}

// A tab holds a Web Lock named after it for as long as it lives; asking for
// it here is granted when the tab has gone, even without a word (crash).
function watchTab(tab) {
  if (!self.navigator?.locks) return;
  self.navigator.locks.request(`xmpp-wasm:tab:${tab}`, () => {
    const t = tabs.get(tab);
    if (!t) return;
    tabs.delete(tab);
    t.host.detach(tab);
  });
}

self.onconnect = (e) => {
  const port = e.ports[0];
  const post = batchedPost((msg) => port.postMessage(msg));
  const receive = (data) => {
    const { tab } = data ?? {};
    if (typeof tab !== 'string') return;
    let t = tabs.get(tab);
    if (data.op === 'connect') {
      let key;
      try {
        key = sessionKey(data.options);
      } catch (err) {
        post({ op: 'connected', ok: false, error: { kind: 'TypeError', message: String(err.message) } });
        return;
      }
      if (!t) watchTab(tab);
      t = { host: hostFor(key), port };
      tabs.set(tab, t);
    }
    if (!t) return;
    if (data.op === 'detach') tabs.delete(tab);
    t.host.receive(tab, data, post);
  };
  // A tab's messages of one task come as one batch (batchedPost), each
  // stamped with the tab.
  port.onmessage = ({ data }) => forEachMessage(data, (msg) => receive({ ...msg, tab: data.tab }));
  port.start();
  // The tab sends nothing before this: it knows the script ran.
  port.postMessage({ op: 'hello' });
};
