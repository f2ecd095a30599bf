// StanzaJS as a page imports it (its browser platform files).
export { createClient, VERSION } from 'stanza';
