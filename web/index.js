// xmpp-wasm: XMPP over BOSH for web pages, with a C core in WebAssembly.
import { Client } from './client.js';
import { SharedClient, sharingKind } from './shared.js';

export { Client, XmppError } from './client.js';
export { SharedClient } from './shared.js';

/** Creates a client; nothing is sent until connect(). In a browser, tabs of one origin that use the same
 * service and account share one session unless options.shareAcrossTabs is false. */
export function createClient(options) {
  const kind = sharingKind(options);
  return kind ? new SharedClient(options, kind) : new Client(options);
}
