// chat-style.js: the widget's stylesheet, inside its shadow root (a page's
// CSS does not reach in, and the widget's does not leak out). Pages theme
// it with the --xmpp-chat-* custom properties on the element and restyle
// parts with ::part(); light and dark follow prefers-color-scheme unless
// the element has theme="light" or theme="dark". Adopted as a constructed
// stylesheet, which a Content-Security-Policy without 'unsafe-inline' allows.

// The dark palette: under prefers-color-scheme: dark, and for theme="dark".
const DARK = `
  --xmpp-chat-bg: #16191d;
  --xmpp-chat-fg: #e6e8eb;
  --xmpp-chat-muted: #a5adb8;
  --xmpp-chat-panel: #1f242a;
  --xmpp-chat-border: #3a424c;
  --xmpp-chat-accent: #6cb0ff;
  --xmpp-chat-accent-fg: #0b1420;
  --xmpp-chat-bubble-in: #2a3139;
  --xmpp-chat-bubble-in-fg: #e6e8eb;
  --xmpp-chat-bubble-out: #1f5fae;
  --xmpp-chat-bubble-out-fg: #ffffff;
  --xmpp-chat-danger: #ff8a80;
  --xmpp-chat-warning-bg: #3d3000;
  --xmpp-chat-warning-fg: #ffe7a3;
  --xmpp-chat-online: #4ac26b;
  --xmpp-chat-away: #d4a72c;
  --xmpp-chat-busy: #ff8a80;
  color-scheme: dark;
`;

export const CHAT_CSS = `
:host {
  --xmpp-chat-font: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  --xmpp-chat-bg: #ffffff;
  --xmpp-chat-fg: #1b1f24;
  --xmpp-chat-muted: #57606a;
  --xmpp-chat-panel: #f4f6f8;
  --xmpp-chat-border: #d0d7de;
  --xmpp-chat-accent: #0a5cc2;
  --xmpp-chat-accent-fg: #ffffff;
  --xmpp-chat-bubble-in: #eaeef2;
  --xmpp-chat-bubble-in-fg: #1b1f24;
  --xmpp-chat-bubble-out: #0a5cc2;
  --xmpp-chat-bubble-out-fg: #ffffff;
  --xmpp-chat-danger: #b42318;
  --xmpp-chat-warning-bg: #fff4d6;
  --xmpp-chat-warning-fg: #5c3b00;
  --xmpp-chat-online: #1a7f37;
  --xmpp-chat-away: #9a6700;
  --xmpp-chat-busy: #b42318;
  --xmpp-chat-radius: 14px;
  display: block;
  height: 100%;
  min-height: 320px;
  color: var(--xmpp-chat-fg);
  background: var(--xmpp-chat-bg);
  font: 15px/1.4 var(--xmpp-chat-font);
  color-scheme: light;
}
@media (prefers-color-scheme: dark) {
  :host(:not([theme="light"])) {${DARK}}
}
:host([theme="dark"]) {${DARK}}
:host([hidden]) { display: none; }
* { box-sizing: border-box; }
button, input, textarea, select { font: inherit; color: inherit; }
button {
  cursor: pointer; border: 1px solid var(--xmpp-chat-border); background: var(--xmpp-chat-bg);
  border-radius: 8px; padding: 6px 12px; min-height: 36px;
}
button.primary { background: var(--xmpp-chat-accent); color: var(--xmpp-chat-accent-fg); border-color: var(--xmpp-chat-accent); }
button.danger { border-color: var(--xmpp-chat-danger); color: var(--xmpp-chat-danger); }
button.link { border: none; background: none; color: var(--xmpp-chat-accent); padding: 4px 6px; min-height: 0; }
button:disabled { opacity: .6; cursor: default; }
input, textarea, select {
  border: 1px solid var(--xmpp-chat-border); border-radius: 8px; padding: 7px 10px;
  background: var(--xmpp-chat-bg); min-width: 0;
}
:focus-visible { outline: 2px solid var(--xmpp-chat-accent); outline-offset: 2px; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
a { color: inherit; text-decoration: underline; }

.root { container: xmpp-chat / inline-size; display: flex; flex-direction: column; height: 100%; position: relative; }
.topbar {
  display: flex; align-items: center; gap: 8px; padding: 8px 12px;
  border-bottom: 1px solid var(--xmpp-chat-border); background: var(--xmpp-chat-panel);
}
.topbar .me { flex: 1; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; font-weight: 600; }
.banner { padding: 8px 12px; background: var(--xmpp-chat-warning-bg); color: var(--xmpp-chat-warning-fg); display: flex; gap: 12px; align-items: center; }
.banner[hidden] { display: none; }
.banner button { min-height: 30px; padding: 3px 10px; }

.login { margin: auto; width: min(360px, 100% - 32px); display: flex; flex-direction: column; gap: 12px; padding: 24px 0; }
.login h2 { margin: 0 0 4px; font-size: 20px; }
.login label { display: flex; flex-direction: column; gap: 4px; font-size: 14px; color: var(--xmpp-chat-muted); }
.login input { color: var(--xmpp-chat-fg); }
.error { color: var(--xmpp-chat-danger); }

.body { flex: 1; display: grid; grid-template-columns: minmax(220px, 32%) minmax(0, 1fr); min-height: 0; }
.sidebar { min-width: 0; border-inline-end: 1px solid var(--xmpp-chat-border); display: flex; flex-direction: column; min-height: 0; background: var(--xmpp-chat-panel); }
.sidebar .actions { display: flex; gap: 6px; padding: 8px; flex-wrap: wrap; }
.sidebar .actions button { flex: 1; }
.list { overflow-y: auto; flex: 1; padding: 0 0 8px; }
.list h3 { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--xmpp-chat-muted); margin: 12px 12px 4px; }
.list ul { list-style: none; margin: 0; padding: 0; }
.empty { color: var(--xmpp-chat-muted); padding: 8px 12px; margin: 0; font-size: 14px; }
.entry {
  display: flex; align-items: center; gap: 10px; width: 100%; text-align: start; border: none; border-radius: 0;
  background: none; padding: 8px 12px; min-height: 52px;
}
.entry:hover { background: color-mix(in srgb, var(--xmpp-chat-accent) 8%, transparent); }
.entry[aria-current="true"] { background: color-mix(in srgb, var(--xmpp-chat-accent) 16%, transparent); }
.avatar {
  --hue: 210; flex: none; width: 36px; height: 36px; border-radius: 50%; display: grid; place-items: center;
  background: hsl(var(--hue) 40% 32%); color: #fff; font-weight: 600; font-size: 14px; position: relative;
}
.dot { position: absolute; inset-inline-end: -1px; bottom: -1px; width: 12px; height: 12px; border-radius: 50%; border: 2px solid var(--xmpp-chat-panel); background: var(--xmpp-chat-muted); }
.dot.available, .dot.chat { background: var(--xmpp-chat-online); }
.dot.away, .dot.xa { background: var(--xmpp-chat-away); }
.dot.dnd { background: var(--xmpp-chat-busy); }
.who { flex: 1; min-width: 0; display: flex; flex-direction: column; }
.who .name, .who .status { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.who .status { font-size: 13px; color: var(--xmpp-chat-muted); }
.badge { background: var(--xmpp-chat-accent); color: var(--xmpp-chat-accent-fg); border-radius: 999px; padding: 1px 8px; font-size: 12px; font-weight: 600; }
.request { padding: 8px 12px; display: flex; flex-direction: column; gap: 6px; }
.request .buttons { display: flex; gap: 6px; }
.form { padding: 8px; display: flex; flex-direction: column; gap: 6px; border-bottom: 1px solid var(--xmpp-chat-border); }
.form .buttons { display: flex; gap: 6px; }

.main { display: flex; flex-direction: column; min-width: 0; min-height: 0; }
.placeholder { margin: auto; color: var(--xmpp-chat-muted); padding: 24px; text-align: center; }
.convhead { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; padding: 8px 12px; border-bottom: 1px solid var(--xmpp-chat-border); }
.convhead .who { flex: 1 1 140px; }
.convhead .back { display: none; }
.convbody { flex: 1; display: flex; min-height: 0; }
.log { flex: 1; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 2px; overflow-anchor: none; }
/* The log's column never squeezes its messages to fit. */
.log > * { flex-shrink: 0; }
.log .note.top:empty { padding: 0; min-height: 1px; }
.log .note { align-self: center; color: var(--xmpp-chat-muted); font-size: 13px; padding: 6px; }
.day { align-self: center; font-size: 12px; color: var(--xmpp-chat-muted); background: var(--xmpp-chat-panel); border-radius: 999px; padding: 2px 10px; margin: 10px 0 6px; }
.msg { max-width: min(75%, 560px); display: flex; flex-direction: column; align-items: flex-start; margin-top: 4px; }
.msg.out { align-self: flex-end; align-items: flex-end; }
.msg .nick { font-size: 12px; font-weight: 600; color: var(--xmpp-chat-muted); margin: 0 10px 1px; }
.bubble {
  background: var(--xmpp-chat-bubble-in); color: var(--xmpp-chat-bubble-in-fg); border-radius: var(--xmpp-chat-radius);
  padding: 7px 12px; white-space: pre-wrap; overflow-wrap: anywhere; unicode-bidi: plaintext;
}
.msg.out .bubble { background: var(--xmpp-chat-bubble-out); color: var(--xmpp-chat-bubble-out-fg); }
.meta { font-size: 11px; color: var(--xmpp-chat-muted); margin: 1px 10px 0; display: flex; gap: 6px; }
.tick.read { color: var(--xmpp-chat-accent); }
.msg.failed .meta { color: var(--xmpp-chat-danger); }
.typing { min-height: 22px; padding: 0 14px; font-size: 13px; color: var(--xmpp-chat-muted); font-style: italic; }
.notice { padding: 8px 12px; background: var(--xmpp-chat-panel); color: var(--xmpp-chat-muted); font-size: 14px; }
.composer { display: flex; gap: 8px; padding: 8px 12px 12px; align-items: flex-end; }
.composer textarea { flex: 1; resize: none; max-height: 8em; line-height: 1.4; }
.occupants { width: 200px; border-inline-start: 1px solid var(--xmpp-chat-border); overflow-y: auto; background: var(--xmpp-chat-panel); }
.occupants[hidden] { display: none; }
.occupants ul { list-style: none; margin: 0; padding: 4px 0; }
.occupants li { padding: 4px 12px; display: flex; gap: 6px; align-items: baseline; }
.occupants .role { font-size: 12px; color: var(--xmpp-chat-muted); }
.subject { font-size: 13px; color: var(--xmpp-chat-muted); }

@container xmpp-chat (max-width: 640px) {
  .body { grid-template-columns: minmax(0, 1fr); }
  .body.has-open .sidebar { display: none; }
  .body:not(.has-open) .main { display: none; }
  .convhead .back { display: inline-block; }
  .convhead .avatar { display: none; }
  .convhead button { padding: 4px 8px; min-height: 32px; }
  .msg { max-width: 85%; }
  .occupants { position: absolute; inset-inline-end: 0; top: 0; bottom: 0; width: min(240px, 80%); z-index: 1; }
  .convbody { position: relative; }
}
`;

/** Puts the stylesheet in a shadow root: adopted where the browser can, else a <style> element. */
export function applyStyle(root) {
  if ('adoptedStyleSheets' in root && typeof CSSStyleSheet === 'function' && 'replaceSync' in CSSStyleSheet.prototype) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CHAT_CSS);
    root.adoptedStyleSheets = [sheet];
  } else {
    const style = document.createElement('style');
    style.textContent = CHAT_CSS;
    root.append(style);
  }
}
