// chat-view.js: building the widget's DOM safely. Everything that came
// from the network (bodies, nicknames, subjects, status text, JIDs, roster
// names) goes in as text nodes: never innerHTML, never an attribute that
// runs. The one exception is a link, made only for http: and https: URLs.

/** An element: el('div', { class: 'x', part: 'y' }, child, 'text', …). Strings become text nodes. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

// A URL as people write them in chat: up to whitespace or a closing
// bracket or quote; trailing punctuation belongs to the sentence.
const URL_PATTERN = /\bhttps?:\/\/[^\s<>"'()\u00a0\u2028\u2029]+/gi;
const TRAILING = /[.,;:!?]+$/;

/**
 * Text with its http(s) links clickable (opening a new tab, with no window.opener and no referrer);
 * every other character stays text. Nothing else becomes a link: not javascript:, not data:.
 */
export function linkified(text) {
  const fragment = document.createDocumentFragment();
  let last = 0;
  for (const match of String(text).matchAll(URL_PATTERN)) {
    let url = match[0];
    const trail = url.match(TRAILING)?.[0] ?? '';
    if (trail) url = url.slice(0, -trail.length);
    let href;
    try {
      const parsed = new URL(url);
      if (parsed.protocol === 'http:' || parsed.protocol === 'https:') href = parsed.href;
    } catch {
      href = undefined;
    }
    if (!href) continue;
    fragment.append(document.createTextNode(text.slice(last, match.index)));
    fragment.append(el('a', { href, target: '_blank', rel: 'noopener noreferrer' }, url));
    last = match.index + url.length;
  }
  fragment.append(document.createTextNode(String(text).slice(last)));
  return fragment;
}

/** The start of the local day of `time` (ms). */
export function dayOf(time) {
  const d = new Date(time);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

/** "Today", "Yesterday" or the date, for a day separator. */
export function dayLabel(time, now, strings) {
  const day = dayOf(time);
  const today = dayOf(now);
  if (day === today) return strings.today;
  if (day === dayOf(today - 12 * 3600 * 1000)) return strings.yesterday;
  return new Date(time).toLocaleDateString(undefined, { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric' });
}

export function timeLabel(time) {
  return new Date(time).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

/** Up to two letters for an avatar, from a name or a JID's localpart. */
export function initials(name) {
  const words = String(name).split(/[\s@._-]+/).filter(Boolean);
  const letters = words.slice(0, 2).map((w) => [...w][0]?.toUpperCase() ?? '');
  return letters.join('') || '?';
}

/** A stable hue (0–359) for a name, so a contact keeps its avatar colour. */
export function hueOf(name) {
  let h = 0;
  for (const ch of String(name)) h = (h * 31 + ch.codePointAt(0)) % 360;
  return h;
}
