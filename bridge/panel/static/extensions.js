// The extension grid: one card per extension. A device state or DND change patches its card in
// place (a big PBX sends hundreds a second); calls, queues and rights build the card again.

import { draftOf, forget, h, replace, timer } from './dom.js';

const STATE_WORDS = {
  NOT_INUSE: 'idle', INUSE: 'in use', BUSY: 'busy', RINGING: 'ringing',
  RINGINUSE: 'ringing (in use)', ONHOLD: 'on hold', UNAVAILABLE: 'unavailable',
  INVALID: 'invalid', UNKNOWN: 'unknown',
};

export function stateWord(state) {
  return STATE_WORDS[state] || String(state || 'unknown').toLowerCase();
}

// the text the search matches: number and name
export function searchText(extension) {
  return `${extension.extensionNumber} ${extension.displayName}`.toLowerCase();
}

export function extensionCard(store, state, extension, actions) {
  const card = h('article', {
    class: 'ext',
    'data-extension-number': extension.extensionNumber,
    'data-extension-id': extension.id,
    'data-search': searchText(extension),
    tabindex: '-1', // focusable by the keys (a view-only card has no button)
  });
  fillCard(card, store, state, extension, actions);
  return card;
}

export function fillCard(card, store, state, extension, actions) {
  const segments = [...(state.segments.get(extension.id) || new Map()).values()];
  const memberships = store.membershipsOf(state, extension.id);
  const mayDnd = store.may('dnd', extension.permissionId, extension.id);
  const mayCall = store.may('originate', extension.permissionId, extension.id);
  const mayControl = store.may('control', extension.permissionId, extension.id);
  // everything the card shows but its device state and DND
  const shape = JSON.stringify([extension.extensionNumber, extension.displayName, segments,
    memberships.map(({ queue, agent }) => [queue.displayName, agent.paused, agent.pausedReason]),
    mayDnd, mayCall, mayControl]);
  if (card.shownExtension === extension && card.shownShape === shape) {
    patchLive(card, extension);
    return;
  }
  card.shownExtension = extension; // (its buttons' handlers hold this object)
  card.shownShape = shape;
  const deviceState = String(extension.deviceState || 'UNKNOWN');
  card.dataset.state = deviceState;
  card.dataset.dnd = String(extension.dnd);
  card.dataset.search = searchText(extension);
  replace(card,
    h('header', { class: 'ext-head' },
      h('span', { class: 'number', text: extension.extensionNumber }),
      h('span', { class: 'name', text: extension.displayName, title: extension.displayName })),
    h('div', { class: 'ext-status' },
      h('span', { class: `state state-${deviceState}`, 'data-role': 'state', text: stateWord(deviceState) }),
      dndBadge(extension.dnd)),
    segments.length ? h('ul', { class: 'calls' },
      segments.map((segment) => callLine(segment, extension, mayControl, actions))) : null,
    memberships.length ? h('ul', { class: 'queues-of' }, memberships.map(({ queue, agent }) =>
      h('li', { class: agent.paused ? 'paused' : '' },
        h('span', { text: queue.displayName }),
        agent.paused ? h('span', { class: 'tag', text: agent.pausedReason ? `paused: ${agent.pausedReason}` : 'paused' }) : null))) : null,
    (mayDnd || mayCall) ? h('div', { class: 'actions' },
      mayDnd ? h('button', {
        type: 'button', 'data-action': 'dnd', 'aria-pressed': String(extension.dnd === true),
        title: dndTitle(extension.dnd),
        onclick: () => actions.dnd(extension, !extension.dnd),
        text: dndLabel(extension.dnd),
      }) : null,
      mayCall ? numberForm('call', `call ${extension.id}`, 'Call',
        `Number to call from ${extension.extensionNumber}`,
        (number) => actions.call(extension, number)) : null) : null);
}

// the device state and DND of a card built for this extension, set where they differ
function patchLive(card, extension) {
  const deviceState = String(extension.deviceState || 'UNKNOWN');
  if (card.dataset.state !== deviceState) {
    card.dataset.state = deviceState;
    const word = card.querySelector('[data-role="state"]');
    word.className = `state state-${deviceState}`;
    word.textContent = stateWord(deviceState);
  }
  if (card.dataset.dnd !== String(extension.dnd)) {
    card.dataset.dnd = String(extension.dnd);
    const fresh = dndBadge(extension.dnd);
    const badge = card.querySelector('[data-role="dnd"]');
    badge.className = fresh.className;
    badge.textContent = fresh.textContent;
    const button = card.querySelector('[data-action="dnd"]');
    if (button) {
      button.setAttribute('aria-pressed', String(extension.dnd === true));
      button.title = dndTitle(extension.dnd);
      button.textContent = dndLabel(extension.dnd);
    }
  }
}

const dndTitle = (dnd) => (dnd ? 'Turn Do Not Disturb off' : 'Turn Do Not Disturb on');
const dndLabel = (dnd) => (dnd ? 'DND off' : 'DND on');

function dndBadge(dnd) {
  if (dnd === true) return h('span', { class: 'dnd on', 'data-role': 'dnd', text: 'DND' });
  if (dnd === null || dnd === undefined) {
    return h('span', { class: 'dnd unknown', 'data-role': 'dnd', text: 'DND ?' });
  }
  return h('span', { class: 'dnd off', 'data-role': 'dnd', text: '' });
}

function callLine(segment, extension, mayControl, actions) {
  const other = segment.callerId || {};
  const who = [other.name, other.number].filter((v) => v).join(' ') || 'unknown';
  return h('li', { class: 'call', 'data-segment-id': segment.id, 'data-call-state': segment.state },
    h('span', { class: 'direction', title: segment.incoming ? 'incoming' : 'outgoing',
      text: segment.incoming ? '←' : '→' }),
    h('span', { class: 'other', 'data-role': 'other-party', text: who, title: who }),
    segment.onHold ? h('span', { class: 'tag', text: 'hold' }) : null,
    timer(segment.answerTime || segment.startTime),
    mayControl ? h('span', { class: 'call-actions' },
      h('button', { type: 'button', 'data-action': 'hangup', title: `Hang up ${who}`,
        onclick: () => actions.hangup(extension, segment), text: 'Hang up' }),
      numberForm('transfer', `transfer ${segment.id}`, 'Transfer', `Number to transfer ${who} to`,
        (number) => actions.transfer(extension, segment, number))) : null);
}

// a button that opens a small number form (call, transfer); what is typed survives redraws
function numberForm(action, key, label, prompt, submit) {
  const draft = draftOf(key);
  const input = h('input', { type: 'tel', inputmode: 'tel', autocomplete: 'off', required: true,
    'aria-label': prompt, placeholder: 'number', maxlength: 64, 'data-draft': key });
  input.value = draft.value;
  input.addEventListener('input', () => { draft.value = input.value; });
  const close = () => {
    forget(key);
    form.hidden = true;
    input.value = '';
  };
  const form = h('form', { class: 'number-form', hidden: !draft.open, 'data-form': action },
    input, h('button', { type: 'submit', text: 'Go' }),
    h('button', { type: 'button', text: 'Cancel', onclick: close }));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const number = input.value.trim();
    if (!number) return;
    close();
    submit(number);
  });
  form.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') { event.stopPropagation(); close(); }
  });
  const open = h('button', { type: 'button', 'data-action': action, text: label,
    'aria-expanded': String(draft.open),
    onclick: () => {
      if (!form.hidden) { close(); return; }
      draftOf(key).open = true;
      form.hidden = false;
      input.focus();
    } });
  return h('span', { class: 'with-form' }, open, form);
}
