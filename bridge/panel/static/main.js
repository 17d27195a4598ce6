// The operator panel: wires the store, the event stream and the views together.

import { id, post } from './api.js';
import { h, keepingFocus, replace, setServerTime, tick } from './dom.js';
import { extensionCard, fillCard } from './extensions.js';
import { fillQueues } from './queues.js';
import { Search } from './search.js';
import { Store } from './store.js';
import { EventStream } from './stream.js';

const serversEl = document.getElementById('servers');
const searchEl = document.getElementById('search');
const linkEl = document.getElementById('link');
const noticeEl = document.getElementById('notice');
const accountEl = document.getElementById('account');

const cards = new Map(); // "serverId extensionId" -> card element
const search = new Search(searchEl, cards);
const sections = new Map(); // serverId -> { status, grid, queues }

// Cards and queues that changed are drawn once, in the next animation frame: a big PBX sends
// hundreds of changes a second, and a card that changed five times in a frame is drawn once.
// (A hidden tab has no frames: its changes wait, one entry per card, until it is shown.)
const dirty = { cards: new Map(), queues: new Set(), frame: null };

function drawLater() {
  if (dirty.frame === null) dirty.frame = requestAnimationFrame(drawDirty);
}

function drawDirty() {
  const { cards: changedCards, queues } = dirty;
  dirty.cards = new Map();
  dirty.queues = new Set();
  dirty.frame = null;
  for (const sid of queues) drawQueues(sid);
  for (const [sid, eid] of changedCards.values()) drawCard(sid, eid);
}

const store = new Store({
  all: drawAll,
  server: (sid) => drawServerStatus(sid),
  extension: (sid, eid) => {
    dirty.cards.set(`${sid} ${eid}`, [sid, eid]);
    drawLater();
  },
  queues: (sid) => {
    dirty.queues.add(sid);
    drawLater();
  },
});

const actions = {
  dnd: (extension, on) => act(`${extensionPath(extension)}/${on ? 'enableDnd' : 'disableDnd'}`,
    undefined, () => store.refetchExtension(serverOf(extension), extension.id)),
  call: (extension, number) => {
    placed.add(extension.id);
    return act(`${extensionPath(extension)}/originate`, { destinationNumber: number }, null,
      `Calling ${number} from ${extension.extensionNumber}`);
  },
  hangup: (extension, segment) =>
    act(`${extensionPath(extension)}/callSegments/${id(segment.id)}/hangup`),
  transfer: (extension, segment, number) =>
    act(`${extensionPath(extension)}/callSegments/${id(segment.id)}/transfer`,
      { destinationNumber: number }, null, `Transferring to ${number}`),
  pause: (agent, paused, reason) => {
    const sid = serverOfQueue(agent.queueId);
    const path = `/coreServers/${id(sid)}/queues/${id(agent.queueId)}/agents/${id(agent.id)}`;
    const body = paused && reason ? { reason } : undefined;
    return act(`${path}/${paused ? 'pause' : 'unpause'}`, body,
      () => store.refetchQueue(sid, agent.queueId));
  },
};

const extensionServer = new Map(); // extensionId -> serverId
const placed = new Set(); // extensions this page placed calls from: their outcomes are told

// what became of a call this page placed, when it did not go through
function originateResult(event) {
  if (!placed.has(event.extensionId) || event.outcome === 'answered') return;
  const why = event.reason || event.outcome;
  notice(`Call from ${event.extensionNumber} to ${event.destination}: ${why}`, 'error');
}

function serverOf(extension) {
  return extensionServer.get(extension.id);
}

function serverOfQueue(queueId) {
  for (const [sid, state] of store.servers) if (state.queues.has(queueId)) return sid;
  return null;
}

function extensionPath(extension) {
  return `/coreServers/${id(serverOf(extension))}/extensions/${id(extension.id)}`;
}

async function act(path, body, after, done) {
  try {
    await post(path, body);
    if (done) notice(done, 'info');
    if (after) await after();
  } catch (error) {
    notice(error.message || String(error), 'error');
  }
}

let noticeTimer = null;
function notice(text, kind) {
  // an error stays until its time is up (a call's failure may come before its 204)
  if (kind !== 'error' && !noticeEl.hidden && noticeEl.dataset.kind === 'error') return;
  noticeEl.textContent = text;
  noticeEl.dataset.kind = kind;
  noticeEl.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { noticeEl.hidden = true; }, kind === 'error' ? 8000 : 3000);
}

function drawAll() {
  cards.clear();
  sections.clear();
  extensionServer.clear();
  accountEl.textContent = store.me ? store.me.username : '';
  if (!store.servers.size) {
    replace(serversEl, emptyDirectory());
    document.body.dataset.loaded = 'true';
    return;
  }
  keepingFocus(serversEl, () => replace(serversEl,
    [...store.servers.values()].map((state) => serverSection(state))));
  search.matchAll();
  document.body.dataset.loaded = 'true';
}

function emptyDirectory() {
  return h('section', { class: 'empty-directory', 'data-role': 'empty-directory' },
    h('h2', { text: 'Nothing to show yet' }),
    h('p', { text: 'This account sees no core server: the directory is empty, or the account holds no grant.' }),
    h('p', {}, 'Seed the directory from your PBX: ',
      h('code', { text: 'bridge core-server add SLUG --ami HOST --username U --secret env:NAME' }),
      ', then ', h('code', { text: 'bridge import ami SLUG' }),
      ' (or ', h('code', { text: 'bridge import freepbx SLUG --database mysql://...' }), ').'),
    h('p', {}, 'To see this panel with data first, run ', h('code', { text: 'bridge demo' }),
      ': a simulated PBX with sample extensions and a queue.'));
}

function serverSection(state) {
  const { server } = state;
  const status = h('span', { class: 'pill' });
  const grid = h('div', { class: 'grid', role: 'list' });
  const queues = h('div', { class: 'queues' });
  sections.set(server.id, { status, grid, queues, section: null });
  const extensions = [...state.extensions.values()];
  for (const extension of extensions) {
    extensionServer.set(extension.id, server.id);
    const card = extensionCard(store, state, extension, actions);
    card.setAttribute('role', 'listitem');
    cards.set(`${server.id} ${extension.id}`, card);
    grid.append(card);
  }
  const section = h('section', { class: 'server', 'data-core-server-id': server.id },
    h('h2', {}, h('span', { text: server.name }), status),
    extensions.length ? grid : h('p', { class: 'empty',
      text: 'No extensions bound to licensed users here yet: bridge import ami SLUG creates them.' }),
    h('h2', { class: 'queues-title', text: 'Queues' }), queues);
  sections.get(server.id).section = section;
  drawServerStatus(server.id);
  drawQueues(server.id);
  return section;
}

function drawServerStatus(sid) {
  const state = store.servers.get(sid);
  const parts = sections.get(sid);
  if (!state || !parts) return;
  const { amiStatus, amiStatusReason } = state.server;
  const up = amiStatus === 'connected';
  parts.status.dataset.link = up ? 'up' : 'down';
  parts.status.textContent = up ? 'PBX connected'
    : `PBX down: ${amiStatus}${amiStatusReason ? ` (${amiStatusReason})` : ''}`;
  parts.section?.classList.toggle('stale', !up);
}

function drawCard(sid, eid) {
  const state = store.servers.get(sid);
  const card = cards.get(`${sid} ${eid}`);
  const extension = state && state.extensions.get(eid);
  if (!card || !extension) return;
  keepingFocus(card, () => fillCard(card, store, state, extension, actions));
  search.match(card);
}

function drawQueues(sid) {
  const state = store.servers.get(sid);
  const parts = sections.get(sid);
  if (state && parts) keepingFocus(parts.queues, () => fillQueues(parts.queues, store, state, actions));
}

function linkStatus(status, seconds) {
  linkEl.dataset.link = status;
  document.body.classList.toggle('link-down', status === 'down');
  linkEl.textContent = status === 'up' ? 'live'
    : status === 'down' ? `link down: retrying in ${seconds} s` : 'connecting…';
}

async function refetch() {
  try {
    await store.loadAll();
  } catch (error) {
    notice(`Could not load: ${error.message || error}`, 'error');
  }
}

const stream = new EventStream({
  onEvent: (event) => {
    if (typeof event.time === 'string') setServerTime(event.time);
    if (event.type === 'originate.result') originateResult(event);
    else store.apply(event);
  },
  onStatus: linkStatus,
  onReady: refetch,
});

setInterval(tick, 1000);
// extensions and queues added, renamed or removed in the directory raise no event
const DIRECTORY_CHECK_SECONDS = 10;
setInterval(async () => {
  if (document.hidden || !store.loadedOnce || linkEl.dataset.link !== 'up') return;
  try {
    if (await store.directoryChanged()) await store.loadAll();
  } catch {
    // the next check, or the stream's next "ready", tries again
  }
}, DIRECTORY_CHECK_SECONDS * 1000);
// callers who join a queue that rings nobody raise no event a panel sees: ask now and then
setInterval(() => {
  if (!document.hidden) store.refreshWaiting().catch(() => {});
}, 5000);
stream.start();
// events count from the stream's "ready" on, so the first load follows it; without a stream
// the page still shows what the REST API says
setTimeout(() => { if (!store.loadedOnce) refetch(); }, 3000);
