// Type declarations for xmpp-wasm/chat: the <xmpp-chat> element.
import type { Client, SharedClient } from './index.js';

export { createClient } from './index.js';

/** Every string the widget shows (see chat-strings.js for the defaults); `{name}` placeholders are filled in. */
export type XmppChatStrings = Record<string, string>;

/**
 * `<xmpp-chat service="…" jid="…" room="…" nick="…" theme="light|dark">`: a whole chat. Without a
 * password it shows a sign-in form; it signs in with `resume: true`, so a reload carries the session
 * on, and tabs of the site share it. Style it with the `--xmpp-chat-*` custom properties and
 * `::part(root | header | banner | login | contacts | form | conversation | conversation-header |
 * log | message | message-in | message-out | bubble | occupants | composer)`.
 */
export class XmppChatElement extends HTMLElement {
  /** The BOSH URL (attribute `service`). */
  service: string;
  /** The account's bare JID (attribute `jid`); the form asks for it when empty. */
  jid: string;
  /** A room JID to join and open once online (attribute `room`). */
  room: string;
  /** The nickname in rooms (attribute `nick`; default the JID's localpart). */
  nick: string;
  /** Signs in without the form. Write-only: reading gives undefined. */
  password: string | undefined;
  /** UI strings; assigning merges over the defaults. */
  strings: XmppChatStrings;
  /** The client shown: one the page made and connects itself, or the one the element signed in with. */
  client: Client | SharedClient | null;
  /** Opens the conversation with a contact or room. */
  open(jid: string): void;
  /** Ends the session and shows the sign-in form. */
  signOut(): Promise<void>;
}

declare global {
  interface HTMLElementTagNameMap {
    'xmpp-chat': XmppChatElement;
  }
}
