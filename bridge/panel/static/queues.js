// The queues: agents (state, pause, reason, time in pause, calls taken) and waiting callers.

import { draftOf, forget, h, replace, timer } from './dom.js';
import { stateWord } from './extensions.js';

export function fillQueues(container, store, state, actions) {
  const queues = [...state.queues.values()];
  replace(container, queues.length ? queues.map((queue) => queueBlock(store, state, queue, actions))
    : h('p', { class: 'empty', text: 'No queues on this core server.' }));
}

function queueBlock(store, state, queue, actions) {
  const agents = state.agents.get(queue.id) || [];
  const calls = state.calls.get(queue.id);
  const waiting = typeof queue.callsWaiting === 'number' ? queue.callsWaiting
    : (Array.isArray(calls) ? calls.length : null);
  return h('section', { class: 'queue', 'data-queue-id': queue.id, 'data-queue': queue.identifier },
    h('h3', {},
      h('span', { text: queue.displayName }),
      waiting !== null ? h('span', { class: 'count', text: `${waiting} waiting` }) : null,
      queue.longestWaitSince ? h('span', { class: 'count' }, 'longest ', timer(queue.longestWaitSince)) : null),
    h('table', { class: 'agents' },
      h('thead', {}, h('tr', {},
        ['Agent', 'State', 'Pause', 'Calls', ''].map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody', {}, agents.map((agent) => agentRow(store, state, queue, agent, actions)))),
    Array.isArray(calls) && calls.length ? h('ol', { class: 'waiting', 'aria-label': 'Waiting callers' },
      calls.map((call) => {
        const cid = call.callerId || {};
        const who = [cid.name, cid.number].filter((v) => v).join(' ') || 'unknown';
        return h('li', { 'data-call-id': call.id },
          h('span', { class: 'other', text: who, title: who }),
          call.did ? h('span', { class: 'did', text: `via ${call.did}` }) : null,
          call.waitingSince ? timer(call.waitingSince) : null);
      })) : null);
}

function agentRow(store, state, queue, agent, actions) {
  const mayPause = store.may('pause', queue.permissionId, agent.extensionId);
  const extension = state.extensions.get(agent.extensionId);
  const pause = agent.paused === true
    ? [h('span', { class: 'tag', text: agent.pausedReason ? `paused: ${agent.pausedReason}` : 'paused' }),
      agent.pausedSince ? timer(agent.pausedSince) : null]
    : (agent.paused === null ? h('span', { text: '?' }) : h('span', { text: '' }));
  return h('tr', { 'data-agent-id': agent.id, 'data-paused': String(agent.paused) },
    h('td', {}, h('span', { class: 'name', text: agent.name }),
      extension ? h('span', { class: 'number', text: ` ${extension.extensionNumber}` }) : null),
    h('td', {}, h('span', { class: `state state-${agent.state}`, text: stateWord(agent.state) }),
      agent.inCall ? h('span', { class: 'tag', text: 'on a call' }) : null),
    h('td', {}, pause),
    h('td', { text: typeof agent.callsTaken === 'number' ? String(agent.callsTaken) : '' }),
    h('td', {}, mayPause ? pauseControl(agent, actions) : null));
}

function pauseControl(agent, actions) {
  if (agent.paused) {
    return h('button', { type: 'button', 'data-action': 'pause', 'aria-pressed': 'true',
      onclick: () => actions.pause(agent, false), text: 'Unpause' });
  }
  const key = `reason ${agent.id}`;
  const draft = draftOf(key);
  const reason = h('input', { type: 'text', maxlength: 80, placeholder: 'reason',
    'aria-label': `Pause reason for ${agent.name}`, class: 'reason', 'data-draft': key });
  reason.value = draft.value;
  reason.addEventListener('input', () => { draft.value = reason.value; });
  const pause = () => {
    forget(key);
    actions.pause(agent, true, reason.value.trim());
  };
  reason.addEventListener('keydown', (event) => { if (event.key === 'Enter') pause(); });
  return h('span', { class: 'with-form' }, reason,
    h('button', { type: 'button', 'data-action': 'pause', 'aria-pressed': 'false',
      onclick: pause, text: 'Pause' }));
}
