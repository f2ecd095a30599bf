// widget.html's script (a file, not inline: the page runs under a CSP).
const q = new URLSearchParams(location.search);
const chat = document.querySelector('xmpp-chat');
for (const name of ['service', 'jid', 'room', 'nick', 'theme']) {
  if (q.has(name)) chat.setAttribute(name, q.get(name));
}
await import('/dist/chat.js');
window.ready = true;
