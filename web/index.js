// xmpp-wasm: XMPP over BOSH for web pages, with a C core in WebAssembly.
export { createClient, Client, XmppError } from './client.js';
