// The steps of one session from the click on Start to the first processed frame on screen, in milliseconds since
// the click: in the console's debug log as they happen, and in window.rtfx.timeline. rtfx-launch logs its own
// side with GST_DEBUG=rtfx-trace:INFO (docs/performance.md, "First frame").

export class Timeline {
  /**
   * @param {number} origin  the click's time on the performance.now() clock (an event's timeStamp)
   * @param {function} onStep  called with each step's name when it is first noted
   */
  constructor(origin = performance.now(), onStep = null) {
    this.origin = origin;
    this.onStep = onStep;
    this.steps = [];
    this.mark('click', origin);
  }

  /** Notes step at time t (default now), unless it was noted before: each step counts once, the first time. */
  mark(step, t = performance.now()) {
    if (this.has(step)) return;
    const ms = Math.round((t - this.origin) * 10) / 10;
    this.steps.push({ step, ms });
    console.debug(`rtfx timeline: ${ms.toFixed(1)} ms ${step}`);
    this.onStep?.(step);
  }

  /** Whether step has been noted. */
  has(step) {
    return this.steps.some((s) => s.step === step);
  }

  /** ICE and the whole connection (ICE and DTLS) connected, from pc's own events. */
  watchConnection(pc) {
    pc.addEventListener('iceconnectionstatechange', () => {
      if (['connected', 'completed'].includes(pc.iceConnectionState)) this.mark('ice-connected');
    });
    pc.addEventListener('connectionstatechange', () => {
      if (pc.connectionState === 'connected') this.mark('connected');
    });
  }

  /**
   * The first frame video presents (requestVideoFrameCallback; where it is missing, the first 'playing'). Noted when
   * the callback runs: its `now` is the start of that rendering step, which can precede the frame's arrival.
   */
  watchFirstFrame(video) {
    if (typeof video.requestVideoFrameCallback === 'function') {
      video.requestVideoFrameCallback(() => this.mark('first-frame'));
    } else {
      video.addEventListener('playing', () => this.mark('first-frame'), { once: true });
    }
  }

  /** A copy of the steps noted: [{step, ms}], in the order they happened. */
  get list() {
    return this.steps.map((s) => ({ ...s }));
  }
}
