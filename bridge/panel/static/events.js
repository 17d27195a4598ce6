// One event of the stream, applied to the store: what changed is drawn through `changed`
// (a store's own, or nothing while a load holds events back).

import { get, id } from './api.js';

export function applyEvent(store, event, changed) {
  const state = store.servers.get(event.coreServerId);
  if (!state) return;
  const sid = event.coreServerId;
  switch (event.type) {
    case 'coreServer.amiStatus':
      state.server = { ...state.server, amiStatus: event.amiStatus, amiStatusReason: null };
      changed.server(sid);
      get(`/coreServers/${id(sid)}`).then((server) => { // the reason, in words
        state.server = server;
        store.changed.server(sid);
      }, () => {});
      break;
    case 'coreServer.synced': // (during a load: another load follows it)
      store.loadAll().catch(() => {});
      break;
    case 'extension.state':
    case 'extension.dnd': {
      const extension = state.extensions.get(event.extensionId);
      if (!extension) return;
      if ('deviceState' in event) extension.deviceState = event.deviceState;
      if ('dnd' in event) extension.dnd = event.dnd;
      changed.extension(sid, extension.id);
      break;
    }
    case 'callSegment.start':
    case 'callSegment.change':
    case 'callSegment.end': {
      if (!state.extensions.has(event.extensionId) || !event.segment) return;
      let segments = state.segments.get(event.extensionId);
      if (!segments) state.segments.set(event.extensionId, segments = new Map());
      if (event.type === 'callSegment.end') segments.delete(event.segment.id);
      else segments.set(event.segment.id, event.segment);
      changed.extension(sid, event.extensionId);
      // its queues: a caller answered leaves the waiting list, calls taken moves
      for (const { queue } of store.membershipsOf(state, event.extensionId)) {
        store.refetchQueue(sid, queue.id);
      }
      break;
    }
    case 'agent.state':
    case 'agent.removed': {
      const agents = state.agents.get(event.queueId);
      const agent = agents && agents.find((a) => a.id === event.agentId);
      if (!agent) {
        if (event.type === 'agent.state') store.refetchQueue(sid, event.queueId); // a new member
        return;
      }
      if (event.type === 'agent.removed') {
        agents.splice(agents.indexOf(agent), 1);
      } else {
        for (const key of Object.keys(event)) {
          if (!['type', 'time', 'coreServerId'].includes(key)) agent[key] = event[key];
        }
        store.refetchAgent(sid, event.queueId, agent.id);
      }
      changed.queues(sid);
      if (agent.extensionId) changed.extension(sid, agent.extensionId);
      break;
    }
    default:
      break;
  }
}
