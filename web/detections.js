// What the server's chain finds, as it arrives on the session's data channel (docs/protocol.md, "The data
// channel"): the current detections of each rtfx/ message type, listed as count and boxes.

import { text } from './texts.js';

/**
 * A list item of an object with a box (x, y, width, height) and, where there are, its text or label (what a QR code
 * says, what a classifier saw) and its score.
 */
function describeBox(item) {
  const { width, height, x, y } = item;
  const box = typeof item.score === 'number'
    ? text('detections.box-scored', { width, height, x, y, score: item.score.toFixed(2) })
    : text('detections.box', { width, height, x, y });
  const name = [item.text, item.label].find((v) => typeof v === 'string');
  return name === undefined ? box : text('detections.named', { name, box });
}

const isBox = (v) => v && typeof v === 'object' && ['x', 'y', 'width', 'height'].every((k) => Number.isFinite(v[k]));

export class DetectionsView {
  /** @param {HTMLElement} root  a container with a <ul> inside */
  constructor(root) {
    this.root = root;
    this.byType = new Map();  // message type -> its <li>
    this.last = null;
  }

  /** Shows one message from the data channel (JSON text); anything else is ignored. */
  show(json) {
    let msg;
    try {
      msg = JSON.parse(json);
    } catch {
      return;
    }
    if (!msg || typeof msg.type !== 'string' || !msg.type.startsWith('rtfx/')) return;
    this.last = msg;
    this.root.hidden = false;
    let item = this.byType.get(msg.type);
    if (!item) {
      item = document.createElement('li');
      this.byType.set(msg.type, item);
      this.root.querySelector('ul').append(item);
    }
    this.#render(item, msg);
  }

  clear() {
    this.byType.clear();
    this.last = null;
    this.root.querySelector('ul').replaceChildren();
    this.root.hidden = true;
  }

  #render(item, msg) {
    // The first array of boxes in the message is what was found (rtfx/faces: "faces").
    const [name, boxes] = Object.entries(msg).find(([, v]) => Array.isArray(v) && v.every(isBox)) ?? [];
    const title = document.createElement('span');
    title.className = 'detection-type';
    if (boxes) {
      title.textContent = text('detections.count', { count: boxes.length, name });
      const list = document.createElement('ol');
      for (const box of boxes) {
        const li = document.createElement('li');
        li.textContent = describeBox(box);
        list.append(li);
      }
      item.replaceChildren(title, list);
    } else {
      // A message of another shape: its fields, as text.
      title.textContent = msg.type;
      const body = document.createElement('code');
      body.textContent = JSON.stringify({ ...msg, type: undefined });
      item.replaceChildren(title, ' ', body);
    }
    item.dataset.type = msg.type;
    item.dataset.count = boxes ? String(boxes.length) : '';
  }
}
