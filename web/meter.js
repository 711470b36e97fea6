// The microphone's level as the server hears it (rtfx-launch --audio): its `rtfx/audio-level` messages on the
// session's data channel (docs/protocol.md), ten a second, drawn as a meter. It shows the person that their
// microphone reaches the server, whatever the browser's own indicators say.

import { text } from './texts.js';

const TYPE = 'rtfx/audio-level';
// The meter's range in dBFS: below -60 is silence to a person, the server's floor is -100.
const METER_MIN_DB = -60;

export class MicMeter {
  /**
   * @param {HTMLElement} root  #mic: holds a <meter> and an <output>; gets data-rms and data-peak (dBFS, as the
   *   server sent them)
   */
  constructor(root) {
    this.root = root;
    this.meter = root.querySelector('meter');
    this.text = root.querySelector('output');
    this.last = null;
    this.clear();
  }

  /** Shows one data channel message (JSON text) if it is a level; returns whether it was. */
  show(json) {
    let msg;
    try {
      msg = JSON.parse(json);
    } catch {
      return false;
    }
    if (msg?.type !== TYPE) return false;
    if (!Number.isFinite(msg.rms) || !Number.isFinite(msg.peak)) return true;
    this.last = msg;
    this.root.dataset.rms = String(msg.rms);
    this.root.dataset.peak = String(msg.peak);
    this.meter.value = Math.max(METER_MIN_DB, Math.min(0, msg.rms));
    this.text.textContent = msg.rms <= METER_MIN_DB ? text('mic.silence') : text('mic.db', { value: Math.round(msg.rms) });
    this.root.hidden = false;
    return true;
  }

  clear() {
    this.last = null;
    delete this.root.dataset.rms;
    delete this.root.dataset.peak;
    this.meter.value = METER_MIN_DB;
    this.text.textContent = '–';
    this.root.hidden = true;
  }
}
