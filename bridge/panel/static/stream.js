// The event stream (WebSocket). This module alone knows about reconnects: it reports
// 'connecting', 'up' (after the server's "ready") and 'down' (with the seconds until the next
// try), and hands every event on. After each "ready" the store refetches what it shows.

const PATH = '/communication_manager/ws/event';

export class EventStream {
  constructor({ onEvent, onStatus, onReady }) {
    this.onEvent = onEvent;
    this.onStatus = onStatus;
    this.onReady = onReady;
    this.delay = 1;
    this.socket = null;
    this.timer = null;
  }

  start() {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    this.onStatus('connecting');
    let socket;
    try {
      socket = new WebSocket(`${scheme}://${location.host}${PATH}`);
    } catch {
      this.retry();
      return;
    }
    this.socket = socket;
    socket.addEventListener('message', (message) => this.receive(message.data));
    socket.addEventListener('close', () => {
      if (this.socket === socket) this.retry();
    });
  }

  receive(data) {
    let event;
    try {
      event = JSON.parse(data);
    } catch {
      return;
    }
    if (!event || typeof event !== 'object') return;
    if (event.type === 'ready') {
      this.delay = 1;
      this.onStatus('up');
      this.onReady();
    } else {
      this.onEvent(event);
    }
  }

  retry() {
    this.socket = null;
    const seconds = this.delay;
    this.delay = Math.min(this.delay * 2, 30);
    this.onStatus('down', seconds);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.start(), seconds * 1000);
  }
}
