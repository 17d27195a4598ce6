// What the panel shows, per core server, kept from the REST API and the event stream.
// The views read it; `changed` tells them what to draw again.

import { get, getOptional, id, P } from './api.js';
import { applyEvent } from './events.js';

const IDLE = new Set(['NOT_INUSE', 'UNAVAILABLE', 'UNKNOWN', 'INVALID']);
const PARALLEL = 6;
const DEBOUNCE_MS = 300;
const QUIET = { all() {}, server() {}, extension() {}, queues() {} };

export class Store {
  constructor(changed) {
    this.changed = changed; // { all(), server(s), extension(s, e), queues(s) }
    this.me = null;
    this.servers = new Map();
    this.loadedOnce = false;
    this.refetchTimers = new Map();
  }

  // everything again: after the stream's "ready" (a (re)connect) and each coreServer.synced.
  // One load at a time: asked for while one runs, another follows it.
  loadAll() {
    if (this.loading) {
      this.reloadWanted = true;
      return this.loading;
    }
    this.loading = this.loadOnce().finally(() => {
      this.loading = null;
      if (this.reloadWanted) {
        this.reloadWanted = false;
        this.loadAll().catch(() => {});
      }
    });
    return this.loading;
  }

  // (events that arrive meanwhile are kept, then applied to what was fetched: applied in
  // order, they end where the PBX is, whichever of them the answers already include)
  async loadOnce() {
    const held = [];
    this.held = held;
    try {
      const [me, servers] = await Promise.all([get('/me'), get('/coreServers')]);
      const fresh = new Map();
      await Promise.all(servers.map(async (server) => {
        fresh.set(server.id, await this.loadServer(server));
      }));
      this.me = me;
      this.servers = new Map(servers.map((s) => [s.id, fresh.get(s.id)]));
    } finally {
      this.held = null;
      // on what was fetched, or (the load failed) on what was shown: they are newer than both
      for (const event of held) this.applyNow(event, false);
    }
    this.loadedOnce = true;
    this.changed.all();
  }

  // The directory changes with no event (an admin's SQL): true when the core servers, their
  // extensions or queues are no longer those shown (then loadAll draws them)
  async directoryChanged() {
    const servers = await get('/coreServers');
    if (servers.length !== this.servers.size) return true;
    for (const server of servers) {
      const state = this.servers.get(server.id);
      if (!state || state.server.name !== server.name) return true;
      const base = `/coreServers/${id(server.id)}`;
      const [extensions, queues] = await Promise.all([
        get(`${base}/extensions`), getOptional(`${base}/queues`),
      ]);
      const shown = [...state.extensions.values()];
      if (extensions.length !== shown.length) return true;
      if (extensions.some((e, i) => e.id !== shown[i].id || e.displayName !== shown[i].displayName
        || e.extensionNumber !== shown[i].extensionNumber)) return true;
      if ((queues || []).some((q) => !state.queues.has(q.id))
        || (queues || []).length !== state.queues.size) return true;
    }
    return false;
  }

  async loadServer(server) {
    const base = `/coreServers/${id(server.id)}`;
    const [extensions, queues] = await Promise.all([
      get(`${base}/extensions`), getOptional(`${base}/queues`),
    ]);
    const state = {
      server,
      extensions: new Map(extensions.map((e) => [e.id, e])),
      segments: new Map(),
      queues: new Map((queues || []).map((q) => [q.id, q])),
      agents: new Map(),
      calls: new Map(),
    };
    const busy = extensions.filter((e) => !IDLE.has(e.deviceState));
    await inBatches(busy, async (e) => {
      const segments = await getOptional(`${base}/extensions/${id(e.id)}/callSegments`);
      state.segments.set(e.id, new Map((segments || []).map((s) => [s.id, s])));
    });
    await Promise.all([...state.queues.values()].map((q) => this.loadQueue(state, q.id)));
    return state;
  }

  async loadQueue(state, queueId) {
    const base = `/coreServers/${id(state.server.id)}/queues/${id(queueId)}`;
    const [queue, agents, calls] = await Promise.all([
      getOptional(base), getOptional(`${base}/agents`), getOptional(`${base}/calls`),
    ]);
    if (queue === null) {
      state.queues.delete(queueId);
      return;
    }
    state.queues.set(queueId, queue);
    state.agents.set(queueId, agents || []);
    state.calls.set(queueId, calls); // null: this bridge does not list waiting callers
  }

  // once, shortly after whatever asked (events come in bursts): `work()` then a redraw
  later(key, work) {
    if (this.refetchTimers.has(key)) return;
    this.refetchTimers.set(key, setTimeout(async () => {
      this.refetchTimers.delete(key);
      try {
        await work();
      } catch {
        // the next event, check or reconnect tries again
      }
    }, DEBOUNCE_MS));
  }

  // a queue, its agents and its callers again
  refetchQueue(serverId, queueId) {
    this.later(`queue ${serverId} ${queueId}`, async () => {
      const state = this.servers.get(serverId);
      if (!state) return;
      await this.loadQueue(state, queueId);
      this.changed.queues(serverId);
      for (const agent of state.agents.get(queueId) || []) {
        if (agent.extensionId) this.changed.extension(serverId, agent.extensionId);
      }
    });
  }

  // one agent again (its pause reason and times, calls taken: keys its events do not carry)
  refetchAgent(serverId, queueId, agentId) {
    this.later(`agent ${serverId} ${agentId}`, async () => {
      const state = this.servers.get(serverId);
      const path = `/coreServers/${id(serverId)}/queues/${id(queueId)}/agents/${id(agentId)}`;
      const agent = state && await getOptional(path);
      const agents = state && state.agents.get(queueId);
      if (!agent || !agents) return;
      const at = agents.findIndex((a) => a.id === agentId);
      if (at < 0) return;
      agents[at] = agent;
      this.changed.queues(serverId);
      if (agent.extensionId) this.changed.extension(serverId, agent.extensionId);
    });
  }

  // the waiting callers of every queue that lists them (a caller who joins a queue that rings
  // nobody raises no event a client sees)
  async refreshWaiting() {
    for (const [serverId, state] of this.servers) {
      let moved = false;
      await Promise.all([...state.calls].map(async ([queueId, calls]) => {
        if (calls === null) return;
        const base = `/coreServers/${id(serverId)}/queues/${id(queueId)}`;
        const [queue, fresh] = await Promise.all([getOptional(base), getOptional(`${base}/calls`)]);
        if (queue === null || fresh === null) return;
        if (JSON.stringify(fresh) !== JSON.stringify(calls)
          || JSON.stringify(queue) !== JSON.stringify(state.queues.get(queueId))) {
          state.calls.set(queueId, fresh);
          state.queues.set(queueId, queue);
          moved = true;
        }
      }));
      if (moved) this.changed.queues(serverId);
    }
  }

  async refetchExtension(serverId, extensionId) {
    const state = this.servers.get(serverId);
    if (!state) return;
    const extension = await get(`/coreServers/${id(serverId)}/extensions/${id(extensionId)}`);
    state.extensions.set(extension.id, extension);
    this.changed.extension(serverId, extension.id);
  }

  apply(event) {
    if (this.held) this.held.push(event);
    else this.applyNow(event, true);
  }

  applyNow(event, draw) {
    applyEvent(this, event, draw ? this.changed : QUIET);
  }

  // the agents of an extension, with their queues
  membershipsOf(state, extensionId) {
    const found = [];
    for (const [queueId, agents] of state.agents) {
      const queue = state.queues.get(queueId);
      for (const agent of agents) {
        if (agent.extensionId === extensionId && queue) found.push({ queue, agent });
      }
    }
    return found;
  }

  // may the account do `action` on an object with this permission id (owned by the account's
  // user when `extensionId` is one of its extensions)? The server decides again on every POST.
  may(action, permissionId, extensionId) {
    const me = this.me;
    if (!me) return false;
    if (me.admin) return true;
    if (extensionId && (me.ownExtensionIds || []).includes(extensionId)) return true;
    const held = (me.rights && me.rights[action]) || [];
    return held.includes(permissionId) || held.includes('*');
  }
}

async function inBatches(items, work) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      try {
        await work(item);
      } catch {
        // one extension's segments missing is no reason to show nothing
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, items.length) }, worker));
}

export { P };
