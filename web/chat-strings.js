// chat-strings.js: every piece of text the <xmpp-chat> widget shows, so a
// page can translate or reword any of it (the element's `strings`
// property takes an object of the keys to change). `{name}` is filled in.

export const DEFAULT_STRINGS = {
  loginTitle: 'Sign in to chat',
  jidLabel: 'Chat address',
  passwordLabel: 'Password',
  signIn: 'Sign in',
  signingIn: 'Signing in…',
  signOut: 'Sign out',
  myStatus: 'Your status',
  loginFailed: 'Could not sign in: {reason}.',

  connecting: 'Connecting…',
  reconnecting: 'Connection lost ({reason}). Reconnecting in {seconds} s…',
  offline: 'Offline: {reason}.',
  retry: 'Retry',
  sessionEnded: 'Your session has ended. Sign in again to go on.',

  contacts: 'Contacts',
  rooms: 'Rooms',
  others: 'Not in your contacts',
  noContacts: 'No contacts yet. Add one with “Add contact”.',
  addContact: 'Add contact',
  joinRoom: 'Join room',
  contactJid: 'Contact address',
  contactName: 'Name (optional)',
  roomJid: 'Room address',
  nickname: 'Nickname',
  add: 'Add',
  join: 'Join',
  cancel: 'Cancel',
  requests: 'Contact requests',
  wantsToAdd: '{jid} wants to add you as a contact',
  accept: 'Accept',
  deny: 'Deny',
  unread: '{count} unread',
  actionFailed: '{action} failed: {reason}.',

  available: 'Online',
  chat: 'Free to chat',
  away: 'Away',
  xa: 'Away for a while',
  dnd: 'Busy',
  unavailable: 'Offline',

  choose: 'Choose a contact or a room to start chatting.',
  back: 'Back',
  block: 'Block',
  unblock: 'Unblock',
  blockedNotice: 'You blocked {jid}. Unblock to chat again.',
  removeContact: 'Remove contact',
  confirmRemove: 'Click again to remove',
  leaveRoom: 'Leave room',
  people: 'People ({count})',
  noSubject: 'No subject',
  typing: '{name} is typing…',
  messageLabel: 'Message to {name}',
  send: 'Send',
  loadingHistory: 'Loading earlier messages…',
  historyStart: 'Beginning of the conversation',
  historyFailed: 'Earlier messages could not be loaded: {reason}.',
  today: 'Today',
  yesterday: 'Yesterday',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
  failed: 'Not delivered: {reason}',
  you: 'You',
  roomError: 'Could not join {room}: {reason}.',
  kicked: 'You were removed from {room}.',
  banned: 'You were banned from {room}.',

  // Conditions (RFC 6120 §8.3.3, XEP-0124, the client's own) in words.
  'reason:not-authorized': 'wrong address or password',
  'reason:connection-failed': 'the server cannot be reached',
  'reason:remote-connection-failed': 'the server cannot be reached',
  'reason:host-unknown': 'unknown server',
  'reason:item-not-found': 'the session has expired',
  'reason:system-shutdown': 'the server is restarting',
  'reason:policy-violation': 'the server refused the data',
  'reason:disconnected': 'signed out',
  'reason:conflict': 'the nickname is taken',
  'reason:registration-required': 'members only',
  'reason:forbidden': 'not allowed',
  'reason:service-unavailable': 'not available',
  'reason:timeout': 'no answer in time',
  'reason:not-connected': 'not connected',
  'reason:feature-not-implemented': 'the server keeps no archive',
  'reason:jid-malformed': 'not a valid address (name@example.com)',
  'reason:recipient-unavailable': 'the recipient is not available',
};

/** The text for `key` with {name} placeholders filled from vars. */
export function format(strings, key, vars = {}) {
  const template = strings[key] ?? DEFAULT_STRINGS[key] ?? key;
  return String(template).replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

/** A condition (e.g. 'not-authorized') in words. */
export function reasonText(strings, condition) {
  if (!condition) return '';
  return strings[`reason:${condition}`] ?? DEFAULT_STRINGS[`reason:${condition}`] ?? String(condition);
}
