// The scenarios of rtfx-launch --audio (docs/audio.md): the browser's fake microphone (Chromium's beeps once a
// second; Firefox's a steady tone) goes to the server with the camera. `audio`: the server's level meter hears it (the
// page's meter shows more than silence), the processed sound comes back with the video in one stream (inbound audio
// packets grow, RTCP sender reports arrive), and a preset with its own audio chain (silence) changes what comes back
// but not what the server hears. `audio-sendonly`: the meter still works, and no sound comes back. `audio-sync`: a
// flash and a beep the page makes together come back together.
import os from 'node:os';
import {
  check, click, evaluate, getStatus, inboundVideo, launchBrowser, log, openPage, pollUntil, recordSignaling,
  signalingLog, sleep, startServer, stopServer, waitForSessions, waitForState, withTimeout,
} from './lib.mjs';

const CONNECT_MS = 15000;
const STOP_TO_ZERO_MS = 1000;
// The page's meter (dBFS) above this is more than silence: a quiet room's microphone reads -60 to -50, the fake
// microphone's beeps about -20, the server's floor for digital silence is -100.
const SILENCE_DB = -60;
const HEAR_MS = 8000;
const WINDOW_MS = 2500;
// Opus sends 50 packets a second: a window of WINDOW_MS gets well over this many unless the sound stopped.
const MIN_PACKETS = 25;
// What comes back is judged over windows of a second (one beep each), for up to SWITCH_MS after a preset switch: a
// loaded machine (an ASan server) may hold the sound back for a while.
const SECOND_MS = 1000;
const SWITCH_MS = 10000;
// Sound and picture sent together come back this close (ms, beep minus flash): what a person notices, sound 45 ms
// early or 125 ms late (ITU-R BT.1359), widened by a frame (33 ms) for where the flash is seen.
const SYNC_RANGE_MS = [-80, 160];
const SYNC_SETTLE_MS = 6000;
const SYNC_PAIRS = 5;
// The echo chain of the default preset, and a preset whose audio chain silences what comes back.
const ECHO = 'audioecho delay=250000000 intensity=0.5';
const QUIET = 'volume volume=0';

/** The page's inbound and outbound audio, and the sender reports it got for the inbound one. */
async function audioStats(page) {
  return evaluate(page, async () => {
    const pc = window.rtfx?.pc;
    if (!pc) return null;
    const report = await pc.getStats();
    const out = { inbound: null, outbound: null, senderReports: null };
    report.forEach((s) => {
      if ((s.kind ?? s.mediaType) !== 'audio') return;
      if (s.type === 'inbound-rtp') {
        out.inbound = { packetsReceived: s.packetsReceived ?? 0, totalAudioEnergy: s.totalAudioEnergy ?? null,
          audioLevel: s.audioLevel ?? null, codecId: s.codecId };
        out.codec = report.get(s.codecId)?.mimeType ?? null;
      }
      if (s.type === 'outbound-rtp') out.outbound = { packetsSent: s.packetsSent ?? 0 };
      if (s.type === 'remote-outbound-rtp') out.senderReports = s.reportsSent ?? s.packetsSent ?? 0;
    });
    return out;
  });
}

/** The loudest rms of the page's meter (window.rtfx.audioLevel, #mic) until it is above SILENCE_DB, within ms. */
async function heard(page, ms, what) {
  let loudest = -Infinity;
  const { value, ms: after } = await pollUntil(async () => {
    const m = await evaluate(page, () => {
      const mic = document.querySelector('#mic');
      return { level: window.rtfx.audioLevel, shown: !mic.hidden, rms: Number(mic.dataset.rms),
        meter: document.querySelector('#mic-level').value };
    });
    if (m.level) loudest = Math.max(loudest, m.level.rms);
    return m.level && m.level.rms > SILENCE_DB ? m : null;
  }, ms, `${what}: the page's meter above ${SILENCE_DB} dB`, { intervalMs: 50, describe: () => `loudest ${loudest} dB` });
  log(`${what}: the server hears ${value.level.rms.toFixed(1)} dB (peak ${value.level.peak.toFixed(1)}) ` +
      `${Math.round(after)} ms on; #mic shown ${value.shown}, data-rms ${value.rms}, meter ${value.meter}`);
  check(value.shown && value.rms === value.level.rms, '#mic does not show the newest level');
  check(value.meter > SILENCE_DB, `#mic-level shows ${value.meter}, not the level`);
  return value.level;
}

/** Opens a page of server, waits until it knows the server takes the microphone, starts, and waits for connected. */
async function connectWithAudio(browser, server, name, mode) {
  const status = await getStatus(server.port);
  check(status.audio === true && status.mode === mode, `GET /status says ${JSON.stringify(status)}`);
  const page = await openPage(browser, server.url, name, { init: recordSignaling });
  await pollUntil(() => evaluate(page, () => window.rtfx.audio), 5000, `${name}: window.rtfx.audio`);
  const idle = await evaluate(page, () => document.querySelector('#status').textContent);
  check(/microphone/.test(idle), `${name}: the idle #status does not say the microphone goes too: "${idle}"`);
  await click(page, '#start');
  const { value } = await waitForState(page, ['connected', 'failed'], CONNECT_MS);
  check(value.dataState === 'connected', `${name}: #status went to "failed" (${value.text})`);
  const hello = (await signalingLog(page, ['hello'])).received.at(-1)?.msg;
  check(hello?.audio === true, `hello says audio ${JSON.stringify(hello?.audio)}`);
  const view = await evaluate(page, () => ({
    transceivers: window.rtfx.pc.getTransceivers().map((t) => `${t.receiver.track.kind} ${t.currentDirection}`),
    localAudio: document.querySelector('#local').srcObject?.getAudioTracks().length ?? 0,
  }));
  const answer = (await signalingLog(page, ['answer'])).received[0]?.msg.sdp ?? '';
  const audioSection = answer.split(/(?=^m=)/m).find((m) => m.startsWith('m=audio')) ?? '';
  log(`${name}: transceivers ${JSON.stringify(view.transceivers)}, local audio tracks ${view.localAudio}; answer's ` +
      `audio: ${JSON.stringify(audioSection.split(/\r?\n/).filter((l) => /^(m=|a=(rtpmap|sendrecv|sendonly|recvonly))/.test(l)))}`);
  check(view.localAudio === 1, 'the page did not open the microphone');
  check(/a=rtpmap:\d+ OPUS\/48000\/2/i.test(audioSection), 'the answer has no Opus audio');
  return { page, view };
}

/** Opus packets and the sound's energy the page received between two audioStats. */
function between(a, b) {
  return {
    packets: (b?.inbound?.packetsReceived ?? 0) - (a?.inbound?.packetsReceived ?? 0),
    energy: Number.isFinite(b?.inbound?.totalAudioEnergy) && Number.isFinite(a?.inbound?.totalAudioEnergy)
      ? b.inbound.totalAudioEnergy - a.inbound.totalAudioEnergy : null,
    last: b,
  };
}

/** Opus packets and the sound's energy the page receives over ms. */
async function received(page, ms = WINDOW_MS) {
  const a = await audioStats(page);
  await sleep(ms);
  return between(a, await audioStats(page));
}

/** Windows of SECOND_MS until one has packets and pred(its energy), within SWITCH_MS; returns that window. */
async function secondUntil(page, pred, what) {
  let last = null;
  const { value, ms } = await pollUntil(async () => {
    last = await received(page, SECOND_MS);
    return last.packets >= MIN_PACKETS / 3 && (last.energy === null || pred(last.energy)) ? last : null;
  }, SWITCH_MS, what, { intervalMs: 0, describe: () => JSON.stringify({ packets: last?.packets, energy: last?.energy }) });
  log(`${what}: ${value.packets} audio packets, energy ${value.energy} in ${SECOND_MS} ms, ${Math.round(ms)} ms on`);
  return value;
}

/**
 * sendrecv --audio in Chromium (or RTFX_E2E_BROWSER): the server hears the microphone, its sound comes back in the
 * video's stream with sender reports, and a preset's silent audio chain silences what comes back (the server still
 * hears the microphone: the level is measured before the chain) until the page switches back. Then a second session,
 * its sound flowing both ways, when the server gets SIGTERM: it stops in time (stopServer's bound).
 */
export async function audio(binary) {
  const kind = process.env.RTFX_E2E_BROWSER || 'chromium';
  const browser = await launchBrowser(kind);
  const server = await startServer(binary, { args: ['--audio', '--audio-chain', ECHO,
    '--preset', 'plain=identity', '--preset', 'quiet=identity', '--audio-preset', `quiet=${QUIET}`] });
  const { page, view } = await connectWithAudio(browser, server, `${kind}-audio`, 'sendrecv');
  check(view.transceivers.includes('video sendrecv') && view.transceivers.includes('audio sendrecv'),
        'the page does not send and receive both video and audio');
  await heard(page, HEAR_MS, 'plain');

  const { value: inbound } = await pollUntil(async () => {
    const s = await audioStats(page);
    return s?.inbound?.packetsReceived > 0 ? s : null;
  }, 5000, 'inbound audio packets');
  const streams = await evaluate(page, () => {
    const audioStream = document.querySelector('#remote-audio').srcObject;
    const videoStream = document.querySelector('#remote').srcObject;
    return { audio: audioStream?.id ?? null, video: videoStream?.id ?? null,
      audioTracks: audioStream?.getAudioTracks().length ?? 0, paused: document.querySelector('#remote-audio').paused };
  });
  const plain = await received(page);
  const video = await inboundVideo(page);
  log(`plain: ${plain.packets} audio packets (${inbound.codec}) and energy ${plain.energy} in ${WINDOW_MS} ms; ` +
      `sender reports ${plain.last.senderReports}; streams ${JSON.stringify(streams)}; video frames decoded ` +
      `${video?.framesDecoded}; load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  check(plain.packets >= MIN_PACKETS, `the page received ${plain.packets} audio packets in ${WINDOW_MS} ms`);
  check(streams.audioTracks === 1 && !streams.paused, '#remote-audio does not play the server\'s sound');
  check(streams.audio === streams.video, 'the sound and the video come in different streams (they cannot be synced)');
  check(plain.last.senderReports > 0, 'no RTCP sender report for the audio reached the page');
  check(video?.framesDecoded > 0, 'the page decodes no video');

  // The quiet preset: the same microphone goes in, silence comes out (a hundredth of the plain sound's energy, in
  // a second of packets), and the plain one brings the sound back (a tenth of it at least). Browsers that measure no
  // energy (null) are judged on the packets only.
  const perSecond = plain.energy === null ? null : (plain.energy * SECOND_MS) / WINDOW_MS;
  check(perSecond === null || perSecond > 0, 'the page measured no sound energy coming back with the plain preset');
  await withTimeout(page.select('#preset', 'quiet'), 5000, 'select quiet in #preset');
  await secondUntil(page, (e) => e < perSecond / 100, 'quiet');
  await heard(page, HEAR_MS, 'quiet');
  await withTimeout(page.select('#preset', 'plain'), 5000, 'select plain in #preset');
  await secondUntil(page, (e) => e > perSecond / 10, 'plain again');

  await click(page, '#stop');
  await waitForSessions(server, 0, STOP_TO_ZERO_MS);
  check(await evaluate(page, () => document.querySelector('#mic').hidden && window.rtfx.audioLevel === null),
        '#mic is still shown after Stop');

  await click(page, '#start');
  const { value: again } = await waitForState(page, ['connected', 'failed'], CONNECT_MS);
  check(again.dataState === 'connected', `the second session went to "failed" (${again.text})`);
  await heard(page, HEAR_MS, 'second session');
  await pollUntil(async () => ((await audioStats(page))?.inbound?.packetsReceived > 0 ? true : null), 5000,
    'second session: inbound audio packets');
  await stopServer(server);
  await browser.close();
}

/**
 * An init script: getUserMedia fails with NotFoundError whenever it is asked for sound, as on a machine without a
 * microphone.
 */
function noMicrophone() {
  const getUserMedia = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = (constraints) => (constraints?.audio
    ? Promise.reject(new DOMException('Requested device not found', 'NotFoundError'))
    : getUserMedia(constraints));
}

/**
 * sendonly --audio: the page sends camera and microphone, the server hears it, and nothing comes back. A page with no
 * microphone connects with its camera alone and says so.
 */
export async function audioSendonly(binary) {
  const browser = await launchBrowser('chromium');
  const server = await startServer(binary, { args: ['--mode', 'sendonly', '--audio', '--audio-chain', ECHO] });
  const { page, view } = await connectWithAudio(browser, server, 'audio-sendonly', 'sendonly');
  check(view.transceivers.includes('video sendonly') && view.transceivers.includes('audio sendonly'),
        'the page does not send only');
  await heard(page, HEAR_MS, 'sendonly');
  const s = await received(page);
  log(`sendonly: the page received ${s.packets} audio packets and sent ${s.last.outbound?.packetsSent}`);
  check(s.packets === 0, `the page received ${s.packets} audio packets in sendonly`);
  check(s.last.outbound?.packetsSent > 0, 'the page sent no audio');
  await click(page, '#stop');
  await waitForSessions(server, 0, STOP_TO_ZERO_MS);

  const mute = await openPage(browser, server.url, 'no-microphone', { init: noMicrophone });
  await pollUntil(() => evaluate(mute, () => window.rtfx.audio), 5000, 'no-microphone: window.rtfx.audio');
  await click(mute, '#start');
  const { value } = await waitForState(mute, ['connected', 'failed'], CONNECT_MS);
  log(`no microphone: #status ${JSON.stringify(value)}`);
  check(value.dataState === 'connected', `without a microphone #status went to "failed" (${value.text})`);
  check(/microphone/i.test(value.text), 'the page does not say that it has no microphone');
  await click(mute, '#stop');
  await waitForSessions(server, 0, STOP_TO_ZERO_MS);
  await browser.close();
  await stopServer(server);
}

/**
 * An init script: the page's "camera and microphone" are a canvas and a tone made here, a white flash and a beep at
 * the same moment once a second; window.rtfxSync then finds both again in what the server sends back (the flash in
 * #remote's frames, the beep in #remote-audio's sound) and keeps their times.
 */
function syncedSource() {
  const FLASH_MS = 120;
  window.rtfxSync = { flashes: [], beeps: [], sentFlashes: [] };
  navigator.mediaDevices.getUserMedia = async () => {
    const canvas = document.createElement('canvas');
    canvas.width = 320;
    canvas.height = 240;
    const g = canvas.getContext('2d');
    const ctx = new AudioContext();
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    gain.gain.value = 0;
    osc.frequency.value = 1000;
    const dest = ctx.createMediaStreamDestination();
    osc.connect(gain).connect(dest);
    osc.start();
    const paint = (white) => { g.fillStyle = white ? '#fff' : '#000'; g.fillRect(0, 0, 320, 240); };
    paint(false);
    setInterval(() => {
      paint(true);
      gain.gain.setValueAtTime(0.8, ctx.currentTime);
      window.rtfxSync.sentFlashes.push(performance.now());
      setTimeout(() => { paint(false); gain.gain.setValueAtTime(0, ctx.currentTime); }, FLASH_MS);
    }, 1000);
    // A canvas stream sends a frame when the canvas changes: keep it moving a little.
    setInterval(() => { g.fillStyle = '#010101'; g.fillRect(0, 0, 1, 1); }, 33);
    return new MediaStream([...canvas.captureStream(30).getVideoTracks(), ...dest.stream.getAudioTracks()]);
  };
  const watch = () => {
    const video = document.querySelector('#remote');
    const audio = document.querySelector('#remote-audio');
    if (!video?.srcObject || !audio?.srcObject || window.rtfxSync.watching) return;
    window.rtfxSync.watching = true;
    const probe = document.createElement('canvas');
    probe.width = probe.height = 8;
    const pg = probe.getContext('2d', { willReadFrequently: true });
    let lit = false;
    const onFrame = (now, meta) => {
      pg.drawImage(video, 0, 0, 8, 8);
      const d = pg.getImageData(0, 0, 8, 8).data;
      let sum = 0;
      for (let i = 0; i < d.length; i += 4) sum += d[i + 1];
      const bright = sum / 64 > 128;
      if (bright && !lit) window.rtfxSync.flashes.push(meta.expectedDisplayTime ?? now);
      lit = bright;
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
    const ctx = new AudioContext();
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 256;
    ctx.createMediaStreamSource(audio.srcObject).connect(analyser);
    const buf = new Float32Array(analyser.fftSize);
    let loud = false;
    setInterval(() => {
      analyser.getFloatTimeDomainData(buf);
      let e = 0;
      for (const x of buf) e += x * x;
      const now = Math.sqrt(e / buf.length) > 0.1;
      if (now && !loud) window.rtfxSync.beeps.push(performance.now());
      loud = now;
    }, 4);
  };
  setInterval(watch, 100);
}

/**
 * Sound and picture together: the page sends a flash and a beep at the same moment once a second (syncedSource),
 * through passthrough chains, and the beep comes back within SYNC_RANGE_MS of the flash (the median of the last
 * SYNC_PAIRS). (A slow video chain is not compensated: docs/audio.md.)
 */
export async function audioSync(binary) {
  const browser = await launchBrowser('chromium');
  const server = await startServer(binary, { args: ['--audio', 'identity'] });
  const page = await openPage(browser, server.url, 'sync', { init: `(${recordSignaling})(); (${syncedSource})();` });
  await pollUntil(() => evaluate(page, () => window.rtfx.audio), 5000, 'window.rtfx.audio');
  await click(page, '#start');
  const { value } = await waitForState(page, ['connected', 'failed'], CONNECT_MS);
  check(value.dataState === 'connected', `#status went to "failed" (${value.text})`);
  // The browser lines the two up over its first seconds.
  await sleep(SYNC_SETTLE_MS);
  let offsets = [];
  await pollUntil(async () => {
    const s = await evaluate(page, () => JSON.parse(JSON.stringify(window.rtfxSync)));
    offsets = s.flashes.slice(-SYNC_PAIRS).map((f) => Math.round(
      s.beeps.reduce((b, x) => (Math.abs(x - f) < Math.abs(b - f) ? x : b), Infinity) - f));
    return offsets.length === SYNC_PAIRS && s.flashes.length > SYNC_SETTLE_MS / 1000 ? offsets : null;
  }, SYNC_PAIRS * 1000 + 5000, `${SYNC_PAIRS} flashes after the first ${SYNC_SETTLE_MS} ms`,
  { intervalMs: 500, describe: () => JSON.stringify(offsets) });
  const median = [...offsets].sort((a, b) => a - b)[Math.floor(SYNC_PAIRS / 2)];
  log(`beep - flash: ${JSON.stringify(offsets)} ms (median ${median}); load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  check(median >= SYNC_RANGE_MS[0] && median <= SYNC_RANGE_MS[1],
        `the beep comes back ${median} ms after its flash, outside ${JSON.stringify(SYNC_RANGE_MS)}`);
  await click(page, '#stop');
  await waitForSessions(server, 0, STOP_TO_ZERO_MS);
  await browser.close();
  await stopServer(server);
}
