// The page-side entry of xmpp-wasm as an app imports it (createClient), plus
// loadCore so the cold-start row can wait for the core without a session.
export * from '../../../dist/index.js';
export { loadCore } from '../../../dist/core.js';
