// demo.js: the demo page's only script of its own (the CSP allows no inline
// script). It reads what demo/serve.mjs wrote to /demo-config.json
// ({ service, users: [{ jid, password }], room }), lists the demo logins, and
// puts the <xmpp-chat> widget (defined by /dist/xmpp-chat.js, the widget's
// one-file build, which the page loads) in <main> with its attributes:
// service (the BOSH URL), room (the demo room), and jid when the address has
// ?jid=… (then the widget's login form asks only for the password). No
// password is given: the visitor logs in with the widget's own form, so each
// tab or browser can be another user.

const logins = document.getElementById('logins');

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  // Text is always set as text, never parsed as HTML.
  if (text !== undefined) e.textContent = text;
  return e;
}

function showLogins(users) {
  logins.replaceChildren(...users.map(({ jid, password }) => {
    const li = el('li');
    const link = el('a', '', 'new tab');
    const q = new URLSearchParams({ jid });
    link.href = `/?${q}`;
    link.target = '_blank';
    link.rel = 'noopener';
    link.title = `a new tab whose login form has ${jid} filled in`;
    li.append(el('code', '', jid), ' / ', el('code', 'password', password), ' ', link);
    return li;
  }));
}

async function main() {
  const res = await fetch('/demo-config.json', { cache: 'no-store' });
  if (!res.ok) throw new Error(`/demo-config.json: HTTP ${res.status}`);
  const config = await res.json();
  showLogins(config.users);
  document.getElementById('room').textContent = config.room;
  document.getElementById('room-line').hidden = false;

  const chat = document.createElement('xmpp-chat');
  chat.setAttribute('service', config.service);
  chat.setAttribute('room', config.room);
  const jid = new URLSearchParams(location.search).get('jid');
  if (jid) {
    chat.setAttribute('jid', jid);
    document.title = `${jid} — xmpp-wasm demo`;
  }
  // Attributes first, then into the page: the widget sees them all when it connects.
  document.getElementById('chat').replaceChildren(chat);
}

main().catch((err) => {
  logins.replaceChildren(el('li', 'error', `The demo could not start: ${err.message}`));
  console.error(err);
});
