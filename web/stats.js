// The session's numbers, once a second: the frame rates and drops the server reports in its `stats` message,
// and the round-trip time this page measures itself from the peer connection's WebRTC statistics.

import { text } from './texts.js';

const RTT_INTERVAL_MS = 1000;

/** The round-trip time to the server in ms, or null while none is known. */
export async function roundTripMs(pc) {
  const report = await pc.getStats();
  let pair = null;
  report.forEach((s) => {
    if (s.type === 'transport' && s.selectedCandidatePairId) pair ??= report.get(s.selectedCandidatePairId);
  });
  // Firefox has no transport stats: its pair in use says selected; nominated + succeeded is the standard's.
  if (!pair) {
    report.forEach((s) => {
      if (s.type === 'candidate-pair' && (s.selected || (s.nominated && s.state === 'succeeded'))) pair ??= s;
    });
  }
  if (Number.isFinite(pair?.currentRoundTripTime)) return pair.currentRoundTripTime * 1000;
  // Without STUN round trips measured, RTCP receiver reports on our video still tell it.
  let rtt = null;
  report.forEach((s) => {
    if (s.type === 'remote-inbound-rtp' && Number.isFinite(s.roundTripTime)) rtt ??= s.roundTripTime * 1000;
  });
  return rtt;
}

const round1 = (v) => Math.round(v * 10) / 10;
const formatFps = (v) => text('stats.fps', { value: v.toFixed(1) });
// Browsers report round trips in whole milliseconds: on loopback that is 0, which reads like "not measured".
const formatMs = (v) => (v < 1 ? text('stats.below-1-ms') : text('stats.ms', { value: v < 10 ? v.toFixed(1) : Math.round(v) }));

export class StatsView {
  /**
   * @param {HTMLElement} root  #stats: holds elements with data-stat="fps-in|fps-out|dropped|bitrate|rtt-ms|size" whose text
   *   this fills; gets the same numbers as data-* attributes
   * @param {function} getPc  the current RTCPeerConnection, or null
   */
  constructor(root, getPc) {
    this.root = root;
    this.getPc = getPc;
    this.timer = 0;
    this.measuring = false;
    this.fields = {};
    for (const node of root.querySelectorAll('[data-stat]')) this.fields[node.dataset.stat] = node;
    this.clear();
  }

  /** Starts measuring the round-trip time (a session begins). */
  start() {
    clearInterval(this.timer);
    this.timer = setInterval(() => this.#measure(), RTT_INTERVAL_MS);
  }

  /** A `stats` message from the server. */
  server(msg) {
    if (typeof msg.fps_in === 'number') this.#put('fps-in', round1(msg.fps_in), formatFps);
    if (typeof msg.fps_out === 'number') this.#put('fps-out', round1(msg.fps_out), formatFps);
    if (Number.isInteger(msg.dropped)) this.#put('dropped', msg.dropped, (v) => v.toLocaleString('en'));
    if (Number.isInteger(msg.bitrate_kbps)) this.#put('bitrate', msg.bitrate_kbps, (v) => text('stats.kbps', { value: v.toLocaleString('en') }));
    // 0 × 0 until the first picture's size is known.
    const { width, height } = msg;
    if (Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0) {
      this.#put('size', `${width}x${height}`, () => text('stats.size-value', { width, height }));
    }
  }

  /** Stops measuring and empties the numbers (the session is over). */
  clear() {
    clearInterval(this.timer);
    this.timer = 0;
    for (const key of Object.keys(this.fields)) this.#put(key, null);
    this.root.hidden = true;
  }

  async #measure() {
    const pc = this.getPc();
    // A slow getStats must not pile up calls; a closed connection has nothing to tell.
    if (!pc || this.measuring || pc.connectionState === 'closed') return;
    this.measuring = true;
    try {
      const ms = await roundTripMs(pc);
      if (this.timer && this.getPc() === pc) {
        this.#put('rtt-ms', ms === null ? null : round1(ms), formatMs);
      }
    } catch (err) {
      console.warn('rtfx: no WebRTC statistics:', err);
    } finally {
      this.measuring = false;
    }
  }

  /** Shows one number (null: unknown) as text and as the data attribute the tests read. */
  #put(key, value, format) {
    const attr = `data-${key}`;
    const field = this.fields[key];
    if (value === null) {
      this.root.removeAttribute(attr);
      if (field) field.textContent = '–';
      return;
    }
    this.root.setAttribute(attr, String(value));
    if (field) field.textContent = format(value);
    this.root.hidden = false;
  }
}
