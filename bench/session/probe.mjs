// What the session bench runs inside a page, before the page's own scripts (puppeteer's
// evaluateOnNewDocument), the same in rtfx's page and in aiortc's, so both are measured alike:
//
// - the time of the click on #start (both pages have one);
// - the camera stream (getUserMedia) and the server's video (the peer connection's track), each
//   shown in a small <video> of the bench's own in a corner of the page;
// - for every frame either of those videos presents (requestVideoFrameCallback), the frame number
//   stamped into the clip (make-clip.py says how), read from the top band of the picture;
// - the round trip: each time the server's video shows a number for the first time, how long
//   after the camera preview first showed it. Both times are presentation times on the page's
//   clock, so what is left is the path through the encoder, the network, the server and the
//   decoder, not the display.
//
// The result is window.rtfxBench, read by session-bench.mjs.

/** Installed with page.evaluateOnNewDocument(benchProbe, layout); layout is make-clip.py's JSON, or
 * null when the camera carries no number (Firefox's fake camera). */
export function benchProbe(layout) {
  const stamp = layout?.stamp ?? null;
  const period = layout?.frames ?? 0;
  const frameMs = layout ? 1000 / layout.fps : 0;
  const b = {
    clickAt: null,
    pc: null,
    local: { frames: 0, readable: 0, last: -1, seen: new Array(period) },
    remote: { frames: 0, readable: 0, last: -1, firstAt: null, firstReadableAt: null },
    // [time, round trip in ms] per number the server's video showed; numbers the preview missed
    // (it may skip frames) are counted instead.
    rt: [],
    rtMissing: 0,
    errors: [],
  };
  Object.defineProperty(window, 'rtfxBench', { value: b });

  addEventListener('click', (ev) => {
    if (b.clickAt === null && ev.target?.closest?.('#start')) b.clickAt = performance.now();
  }, true);

  // The frame number in the top band of video's current frame: -1 when it cannot be read.
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  function readNumber(video) {
    const w = video.videoWidth, h = video.videoHeight;
    if (!stamp || !w || !h) return -1;
    const cellH = stamp.cellHeight * h, cellW = w / stamp.cells;
    const bandH = Math.min(h, Math.ceil(2 * cellH));
    if (canvas.width !== w || canvas.height !== bandH) {
      canvas.width = w;
      canvas.height = bandH;
    }
    ctx.drawImage(video, 0, 0, w, bandH, 0, 0, w, bandH);
    const d = ctx.getImageData(0, 0, w, bandH).data;
    const mx = stamp.marginX * w, my = stamp.marginY * h;
    // Standard deviation of the luma inside cell (row, i), away from its borders.
    const spread = (row, i) => {
      const x0 = Math.round(i * cellW + mx), x1 = Math.round((i + 1) * cellW - mx);
      const y0 = Math.round(row * cellH + my), y1 = Math.round((row + 1) * cellH - my);
      let n = 0, sum = 0, sq = 0;
      for (let y = y0; y < y1; y++) {
        for (let x = x0, o = (y * w + x0) * 4; x < x1; x++, o += 4) {
          const luma = 0.299 * d[o] + 0.587 * d[o + 1] + 0.114 * d[o + 2];
          sum += luma;
          sq += luma * luma;
          n++;
        }
      }
      return n ? Math.sqrt(Math.max(0, sq / n - (sum / n) ** 2)) : 0;
    };
    let number = 0, ones = 0;
    for (let i = 0; i < stamp.cells; i++) {
      const top = spread(0, i), bottom = spread(1, i);
      const hi = Math.max(top, bottom), lo = Math.min(top, bottom);
      // Each bit is a textured cell over a flat one or the reverse: anything less clear is not a stamp.
      if (hi < 12 || hi < 2 * lo + 4) return -1;
      const bit = top > bottom ? 1 : 0;
      if (i < stamp.counterBits) {
        number |= bit << i;
        ones += bit;
      } else if ((ones & 1) !== bit) {
        return -1;
      }
    }
    return number < period ? number : -1;
  }

  function onLocal(t, n) {
    b.local.frames++;
    if (n < 0) return;
    b.local.readable++;
    if (n !== b.local.last) b.local.seen[n] = t;
    b.local.last = n;
  }

  function onRemote(t, n) {
    const r = b.remote;
    r.frames++;
    r.firstAt ??= t;
    if (n < 0) return;
    r.readable++;
    r.firstReadableAt ??= t;
    if (n === r.last) return;
    r.last = n;
    // The preview's latest time for n, if it is from this turn of the looping clip.
    const shown = b.local.seen[n];
    const rt = t - shown;
    if (shown !== undefined && rt >= 0 && rt < (period * frameMs) / 2) b.rt.push([t, rt]);
    else b.rtMissing++;
  }

  function show(stream, onFrame, side) {
    const video = document.createElement('video');
    video.muted = true;
    video.autoplay = true;
    video.playsInline = true;
    video.dataset.rtfxBench = side;
    video.style.cssText = `position:fixed;bottom:0;${side}:0;width:160px;height:120px;z-index:2147483647`;
    document.body.append(video);
    video.srcObject = stream;
    video.play().catch((e) => b.errors.push(`play: ${e}`));
    const frame = (now, meta) => {
      video.requestVideoFrameCallback(frame);
      try {
        onFrame(meta?.presentationTime ?? now, readNumber(video));
      } catch (e) {
        if (b.errors.length < 10) b.errors.push(String(e));
      }
    };
    video.requestVideoFrameCallback(frame);
  }

  const devices = navigator.mediaDevices;
  const getUserMedia = devices.getUserMedia.bind(devices);
  devices.getUserMedia = async (constraints) => {
    const stream = await getUserMedia(constraints);
    if (stream.getVideoTracks().length) show(stream, onLocal, 'left');
    return stream;
  };

  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      b.pc = this;
      this.addEventListener('track', (ev) => {
        if (ev.track.kind === 'video') show(new MediaStream([ev.track]), onRemote, 'right');
      });
    }

    // b.keepResolution (set by session-bench.mjs for a page that does not do it itself): once the offer is applied,
    // the browser is asked to keep the camera's resolution when it must save, as rtfx's page asks (devices.js).
    async setLocalDescription(...args) {
      await super.setLocalDescription(...args);
      if (!b.keepResolution) return;
      for (const sender of this.getSenders()) {
        if (sender.track?.kind !== 'video') continue;
        const params = sender.getParameters();
        params.degradationPreference = 'maintain-resolution';
        await sender.setParameters(params).catch((e) => b.errors.push(`keeping the resolution: ${e}`));
      }
    }
  };
}

/** The page's numbers now (run with page.evaluate): the probe's counters and the video RTP stats. */
export async function benchSnapshot() {
  const b = window.rtfxBench;
  const out = {
    now: performance.now(),
    clickAt: b.clickAt,
    local: { frames: b.local.frames, readable: b.local.readable },
    remote: { frames: b.remote.frames, readable: b.remote.readable, firstAt: b.remote.firstAt,
              firstReadableAt: b.remote.firstReadableAt },
    rtCount: b.rt.length,
    rtMissing: b.rtMissing,
    errors: b.errors.slice(),
    inbound: null,
    outbound: null,
    codec: null,
  };
  if (!b.pc) return out;
  const report = await b.pc.getStats();
  const codecs = new Map();
  report.forEach((s) => { if (s.type === 'codec') codecs.set(s.id, s.mimeType); });
  report.forEach((s) => {
    if ((s.kind ?? s.mediaType) !== 'video') return;
    if (s.type === 'inbound-rtp' && (!out.inbound || (s.framesDecoded ?? 0) > out.inbound.framesDecoded)) {
      out.inbound = {
        t: s.timestamp, framesDecoded: s.framesDecoded ?? 0, bytesReceived: s.bytesReceived ?? 0,
        qpSum: s.qpSum ?? null, width: s.frameWidth ?? null, height: s.frameHeight ?? null,
        framesDropped: s.framesDropped ?? null, jitterBufferDelay: s.jitterBufferDelay ?? null,
        jitterBufferEmittedCount: s.jitterBufferEmittedCount ?? null,
      };
      out.codec = codecs.get(s.codecId) ?? null;
    }
    if (s.type === 'outbound-rtp' && !out.outbound) {
      out.outbound = {
        t: s.timestamp, framesEncoded: s.framesEncoded ?? null, bytesSent: s.bytesSent ?? null,
        width: s.frameWidth ?? null, height: s.frameHeight ?? null,
        qualityLimitationReason: s.qualityLimitationReason ?? null,
      };
    }
  });
  return out;
}

/** The round trips measured between page times from and to (run with page.evaluate). */
export function benchRoundTrips(from, to) {
  return window.rtfxBench.rt.filter(([t]) => t >= from && t <= to).map(([, ms]) => Math.round(ms * 10) / 10);
}
