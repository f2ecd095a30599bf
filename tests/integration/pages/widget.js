// widget.html's script (a file, not inline: the page runs under a CSP).
// The query string gives the element's attributes; `password` (tests and
// benchmarks only) signs in without the form; `signin` replaces one UI string;
// `own=1` (with `ownpw`) has the page make the client and set `client`. window.timing records when
// the contact list first showed, in ms since navigation started.
const q = new URLSearchParams(location.search);
const chat = document.querySelector('xmpp-chat');
for (const name of ['service', 'jid', 'room', 'nick', 'theme']) {
  if (q.has(name)) chat.setAttribute(name, q.get(name));
}
window.timing = {};
if (q.has('password')) chat.password = q.get('password');
// Set before the element is defined, as a page that loads the module later would.
if (q.has('signin')) chat.strings = { signIn: q.get('signin') };
await import('/dist/chat.js');
if (q.get('own') === '1') {
  // A page that makes and connects its own client and hands it to the element.
  const { createClient } = await import('/dist/index.js');
  const client = createClient({ service: q.get('service'), jid: q.get('jid'), password: q.get('ownpw'), shareAcrossTabs: false });
  chat.client = client;
  window.connected = client.connect();
}
new MutationObserver((_, observer) => {
  if (!chat.shadowRoot.querySelector('.entry')) return;
  window.timing.contacts = performance.now();
  observer.disconnect();
}).observe(chat.shadowRoot, { childList: true, subtree: true });
window.ready = true;
