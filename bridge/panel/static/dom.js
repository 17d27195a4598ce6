// Building DOM from data. Every value goes in as text (textContent, attribute values), never
// as markup: names and numbers come from the directory and from whoever calls.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = String(value);
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

// The bridge's clock as the browser sees it: times on the page (call starts, waits) are the
// bridge's, and a wall screen's own clock may be minutes off. Each event's `time` sets it; an
// answer's `Date` (whole seconds) does until the first event.
const clock = { offset: 0, precise: false };

export function setServerTime(time, precise = true) {
  const at = Date.parse(time);
  if (Number.isNaN(at) || (clock.precise && !precise)) return;
  clock.offset = at - Date.now();
  clock.precise = clock.precise || precise;
}

function now() {
  return Date.now() + clock.offset;
}

// "1:05", "12:00", "1:02:03" from a start time to now
export function elapsed(since, at = now()) {
  const start = Date.parse(since);
  if (Number.isNaN(start)) return '';
  let seconds = Math.max(0, Math.floor((at - start) / 1000));
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  const ss = String(seconds).padStart(2, '0');
  return hours ? `${hours}:${String(minutes).padStart(2, '0')}:${ss}` : `${minutes}:${ss}`;
}

// a running timer: the page's one clock refreshes every element marked with data-since
export function timer(since, attrs = {}) {
  return h('time', { class: 'timer', 'data-since': since, datetime: since, ...attrs,
    text: elapsed(since) });
}

export function tick() {
  const at = now();
  for (const el of document.querySelectorAll('[data-since]')) {
    el.textContent = elapsed(el.dataset.since, at);
  }
}

// What an operator is typing outlives a redraw: an open form and its text, per key
// ("call <extension id>", "transfer <segment id>", "reason <agent id>").
const drafts = new Map();

export function draftOf(key) {
  let draft = drafts.get(key);
  if (!draft) drafts.set(key, draft = { open: false, value: '' });
  return draft;
}

export function forget(key) {
  drafts.delete(key);
}

// redraw `container` with `draw()`, keeping the focus (and the caret) where it was: the same
// field (by its draft key) or the same control of the same card or agent row
export function keepingFocus(container, draw) {
  const active = document.activeElement;
  const inside = active && container.contains(active) ? active : null;
  const draftKey = inside && inside.dataset.draft;
  const action = inside && inside.dataset.action;
  const owner = inside && inside.closest('[data-extension-id], [data-agent-id]');
  const scope = owner && (owner.dataset.agentId
    ? `[data-agent-id="${CSS.escape(owner.dataset.agentId)}"]`
    : `[data-extension-id="${CSS.escape(owner.dataset.extensionId)}"]`);
  const caret = draftKey ? [inside.selectionStart, inside.selectionEnd] : null;
  draw();
  if (!inside) return;
  let again = null;
  if (draftKey) {
    again = container.querySelector(`[data-draft="${CSS.escape(draftKey)}"]`);
  } else if (action) {
    const within = scope ? (container.matches(scope) ? container : container.querySelector(scope))
      : container;
    again = within && within.querySelector(`[data-action="${CSS.escape(action)}"]`);
  }
  if (!again) return;
  again.focus();
  if (caret) {
    try {
      again.setSelectionRange(caret[0], caret[1]);
    } catch {
      // a field without a caret
    }
  }
}
