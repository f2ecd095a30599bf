// Strophe.js as a page imports it (its browser build).
export { Strophe, $msg, $iq, $pres } from 'strophe.js';
