// The websocket to rtfx-launch and its JSON messages (docs/protocol.md). Knows nothing about WebRTC:
// it turns frames into calls of handlers[msg.type] and objects into frames.

import { text } from './texts.js';

/** The server's websocket URL, on the host that served this page. */
export function signalingUrl(loc = window.location) {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  // A server started with --token wants the page's ?token= on the websocket too.
  const token = new URLSearchParams(loc.search).get('token');
  return `${scheme}//${loc.host}/ws${token ? `?token=${encodeURIComponent(token)}` : ''}`;
}

export class Signaling {
  /**
   * @param {string} url
   * @param {object} handlers  one function per server message type (hello, answer, ice, error, bye)
   * @param {function} onLost  called with {code, reason} when the open websocket closes without close()
   *   being called; a websocket that never opens rejects `opened` instead
   */
  constructor(url, handlers, onLost) {
    this.url = url;
    this.handlers = handlers;
    this.onLost = onLost;
    this.wasOpen = false;
    this.ws = new WebSocket(url);
    this.opened = new Promise((resolve, reject) => {
      this.ws.addEventListener('open', () => {
        this.wasOpen = true;
        resolve();
      }, { once: true });
      // A websocket that fails to open fires error then close; the close carries nothing more useful.
      this.ws.addEventListener('close', () => reject(new Error(text('error.unreachable', { url }))),
        { once: true });
    });
    // Nobody may await `opened` if the session is stopped first: keep that from being an unhandled rejection.
    this.opened.catch(() => {});
    this.ws.addEventListener('message', (ev) => this.#receive(ev.data));
    this.ws.addEventListener('close', (ev) => this.#closed(ev));
  }

  /** Sends one message object; false if the websocket is not open (nothing to send it on). */
  send(msg) {
    if (this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  /** Closes the websocket on purpose: no handler is called after this. Frames already sent still go out. */
  close() {
    this.handlers = null;
    this.onLost = null;
    if (this.ws.readyState === WebSocket.CONNECTING || this.ws.readyState === WebSocket.OPEN) {
      this.ws.close(1000, 'bye');
    }
  }

  #receive(data) {
    if (!this.handlers) return;
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      console.warn('rtfx: ignoring a frame that is not JSON:', data);
      return;
    }
    if (msg === null || typeof msg !== 'object' || typeof msg.type !== 'string') {
      console.warn('rtfx: ignoring a message without a string type:', msg);
      return;
    }
    const handler = Object.hasOwn(this.handlers, msg.type) ? this.handlers[msg.type] : undefined;
    if (typeof handler !== 'function') {
      console.warn('rtfx: ignoring a message of unknown type:', msg.type);
      return;
    }
    handler(msg);
  }

  #closed(ev) {
    const onLost = this.onLost;
    this.handlers = null;
    this.onLost = null;
    if (this.wasOpen) onLost?.({ code: ev.code, reason: ev.reason });
  }
}
