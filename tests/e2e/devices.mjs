// The scenarios of the page's camera choices (web/devices.js, docs/devices.md), in Chromium with fake cameras.
// `devices-switch`: the other camera mid-stream goes out on the same peer connection (no second offer, one session on
// the server) and processed frames keep coming back; the choice is remembered after a reload. `devices-size`: the
// picture size and rate selectors change what the server receives (its `stats`), and the camera toggle stops its
// frames and brings them back without ending the session. `devices-defaults`: --video-size and --video-fps are what
// the page opens its camera at.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { filmClip } from './bitrate.mjs';
import {
  Skip, check, click, evaluate, getStatus, inboundVideo, launchBrowser, log, onCleanup, openPage, pageStats, pollUntil,
  recordSignaling, signalingLog, sleep, startServer, stopServer, waitForSessions, waitForState, withTimeout,
} from './lib.mjs';
import { NARROW_PX, checkNarrow } from './narrow.mjs';

const CONNECT_MS = 15000;
const STOP_TO_ZERO_MS = 1000;
// How long a change may take to show: the new camera opening, or the server's stats (once a second) reporting it.
const CHANGE_MS = 6000;
// Frames the page must decode after a change, within CHANGE_MS: the processed video still comes back.
const FRAMES_AFTER = 20;
// The server's frames in a second: with the camera off the browser sends a black frame about once a second; on, the
// fake camera's 30 (15 when asked for).
const OFF_FPS = 3;
const ON_FPS = 15;
const HALF_RATE_FPS = [8, 20];
// The server's level of a microphone above this is more than silence (as in audio.mjs).
const SILENCE_DB = -60;
// The server's --peer-timeout in devices-size: the camera stays off for longer.
const PEER_TIMEOUT_S = 3;
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

/** What the page sends now: its video sender's track, the outbound stats' media source, and the sender's parameters. */
async function sending(page) {
  return evaluate(page, async () => {
    const pc = window.rtfx.pc;
    const sender = pc?.getTransceivers().find((t) => t.sender.track?.kind === 'video')?.sender;
    if (!sender) return null;
    const report = await pc.getStats();
    let source = null;
    let framesSent = 0;
    report.forEach((s) => {
      if (s.type === 'outbound-rtp' && s.kind === 'video') {
        source = report.get(s.mediaSourceId)?.trackIdentifier ?? null;
        framesSent = s.framesSent ?? 0;
      }
    });
    const { width, height, deviceId, frameRate } = sender.track.getSettings();
    return { label: sender.track.label, trackId: sender.track.id, enabled: sender.track.enabled, source, framesSent,
      width, height, deviceId, frameRate, degradation: sender.getParameters().degradationPreference ?? null,
      samePc: pc === window.rtfxFirstPc };
  });
}

/**
 * Opens the page (with the init script `also`, a function, if given), starts, waits for connected;
 * window.rtfxFirstPc keeps the peer connection to compare with.
 */
async function connect(browser, server, name, also = null) {
  const init = also ? `(${recordSignaling})(); (${also})();` : recordSignaling;
  const page = await openPage(browser, server.url, name, { init });
  // The page has read GET /status: its selectors show the server's defaults.
  await pollUntil(() => evaluate(page, () => document.querySelector('#video-size').options.length > 0), 5000,
    `${name}: #video-size filled`);
  await click(page, '#start');
  const { value } = await waitForState(page, ['connected', 'failed'], CONNECT_MS);
  check(value.dataState === 'connected', `${name}: #status went to "failed" (${value.text})`);
  await evaluate(page, () => { window.rtfxFirstPc = window.rtfx.pc; });
  return page;
}

/** Waits until the page has decoded FRAMES_AFTER more frames than now. */
async function framesKeepComing(page, what) {
  const before = (await inboundVideo(page))?.framesDecoded ?? 0;
  let last = null;
  const { value, ms } = await pollUntil(async () => {
    last = await inboundVideo(page);
    return last && last.framesDecoded >= before + FRAMES_AFTER ? last : null;
  }, CHANGE_MS, `${what}: ${FRAMES_AFTER} more frames decoded than ${before}`, { describe: () => JSON.stringify(last) });
  log(`${what}: ${value.framesDecoded - before} frames decoded in ${Math.round(ms)} ms, ` +
      `${value.frameWidth}x${value.frameHeight}`);
}

/** The newest #stats, once pred(stats) holds (within CHANGE_MS). */
async function serverStats(page, pred, what) {
  let last = null;
  const { value, ms } = await pollUntil(async () => {
    last = await pageStats(page);
    return last && pred(last) ? last : null;
  }, CHANGE_MS, what, { intervalMs: 200, describe: () => JSON.stringify(last?.raw) });
  log(`${what}: after ${Math.round(ms)} ms, #stats ${JSON.stringify(value.raw)}`);
  return value;
}

/** The session is the same one: one hello, one offer, one session on the server, the first peer connection. */
async function sameSession(page, server, what) {
  const { sent, received } = await signalingLog(page, ['hello', 'offer']);
  const offers = sent.filter((e) => e.msg.type === 'offer').length;
  const hellos = received.filter((e) => e.msg.type === 'hello').length;
  const status = await getStatus(server.port);
  const samePc = await evaluate(page, () => window.rtfx.pc === window.rtfxFirstPc && window.rtfx.state === 'connected');
  const connects = server.proc.stderr.split('\n').filter((l) => /session .*: connected/.test(l)).length;
  log(`${what}: offers ${offers}, hellos ${hellos}, server sessions ${status.sessions}, sessions begun in its log ` +
      `${connects}, same connected peer connection ${samePc}`);
  check(offers === 1 && hellos === 1, `${what}: the page sent ${offers} offers and got ${hellos} hellos, not one each`);
  check(status.sessions === 1 && connects === 1,
        `${what}: the server has ${status.sessions} sessions and began ${connects}`);
  check(samePc, `${what}: the page has another peer connection, or is no longer connected`);
}

/**
 * Chromium's fake cameras: the page lists them by name; choosing another mid-stream sends its track on the same sender
 * (the outbound stats' media source changes), with no new offer and the same server session, and processed frames
 * keep coming back. After Stop and a reload, the page picks the remembered camera.
 * Chromium's second fake camera (fake_device_1) is a depth camera (16-bit grey, Y16) whose frames its encoder never
 * encodes, as it would not a real depth camera's: the switch goes from fake_device_0 (I420) to fake_device_2 (MJPEG,
 * as most USB webcams send).
 */
export async function devicesSwitch(binary) {
  const browser = await launchBrowser('chromium', { cameras: 3 });
  const server = await startServer(binary, { args: ['--audio', 'identity'] });
  const page = await connect(browser, server, 'switch');
  const cameras = await evaluate(page, () => [...document.querySelector('#camera').options]
    .map((o) => ({ value: o.value, label: o.textContent })));
  const first = await sending(page);
  log(`cameras ${JSON.stringify(cameras.map((c) => c.label))}; sending ${JSON.stringify(first)}`);
  check(cameras.length === 3 && cameras.every((c) => /^fake_device_\d$/.test(c.label)),
        `#camera does not list the three fake cameras by name: ${JSON.stringify(cameras)}`);
  check(first.samePc && first.source, 'the page sends no video track');
  check(first.degradation === 'maintain-resolution',
        `the video sender's degradationPreference is ${first.degradation}, not maintain-resolution`);
  check(first.label === 'fake_device_0', `the page opened ${first.label}, not the first camera`);
  const other = cameras.find((c) => c.label === 'fake_device_2');
  await framesKeepComing(page, 'before the switch');

  await withTimeout(page.select('#camera', other.value), 5000, 'select the other camera');
  const { value: switched, ms } = await pollUntil(async () => {
    const s = await sending(page);
    return s?.label === other.label && s.source !== first.source ? s : null;
  }, CHANGE_MS, `the sender sends ${other.label}`);
  log(`switched after ${Math.round(ms)} ms: ${JSON.stringify(switched)}; load ${load()}`);
  check(switched.samePc, 'the switch made another peer connection');
  const preview = await evaluate(page, () => document.querySelector('#local').srcObject?.getVideoTracks()[0]?.label);
  check(preview === other.label, `the preview shows ${preview}, not ${other.label}`);
  await framesKeepComing(page, 'after the switch');
  await sameSession(page, server, 'after the switch');
  const stored = await evaluate(page, () => localStorage.getItem('rtfx.camera'));
  check(stored === switched.deviceId, `localStorage has ${stored}, not the camera in use ${switched.deviceId}`);
  await switchMicrophone(page, server);

  await click(page, '#stop');
  await waitForSessions(server, 0, STOP_TO_ZERO_MS);
  await withTimeout(page.reload({ waitUntil: 'load' }), 10000, 'reload');
  await pollUntil(() => evaluate(page, () => window.rtfx && document.querySelector('#camera').options.length > 0),
    5000, 'the reloaded page lists the cameras');
  await click(page, '#start');
  const { value } = await waitForState(page, ['connected', 'failed'], CONNECT_MS);
  check(value.dataState === 'connected', `after the reload #status went to "failed" (${value.text})`);
  const again = await sending(page);
  const shown = await evaluate(page, () => document.querySelector('#camera').value);
  log(`after a reload: sending ${again.label}, #camera ${shown}`);
  check(again.label === other.label, `after a reload the page sends ${again.label}, not the remembered ${other.label}`);
  await browser.close();
  await stopServer(server);
}

/** The microphone's sender track and the server's newest level of it (window.rtfx.audioLevel, ten a second). */
async function microphone(page) {
  return evaluate(page, () => {
    const sender = window.rtfx.pc.getTransceivers().find((t) => t.receiver.track.kind === 'audio')?.sender;
    return { label: sender?.track?.label ?? null, level: window.rtfx.audioLevel,
      options: [...document.querySelector('#microphone').options].map((o) => ({ value: o.value, label: o.textContent })),
      shown: !document.querySelector('#microphone-row').hidden };
  });
}

/** Another microphone mid-stream: its track goes out on the same sender, and the server's level meter goes on. */
async function switchMicrophone(page, server) {
  const before = await microphone(page);
  const other = before.options.find((o) => o.label !== before.label && o.value !== 'default');
  log(`microphones ${JSON.stringify(before.options.map((o) => o.label))}, sending ${before.label}`);
  check(before.shown && other, 'no other microphone to choose in #microphone');
  await withTimeout(page.select('#microphone', other.value), 5000, 'select the other microphone');
  const { value, ms } = await pollUntil(async () => {
    const m = await microphone(page);
    return m.label === other.label ? m : null;
  }, CHANGE_MS, `the audio sender sends ${other.label}`);
  // The server hears the new microphone (Chromium's fake ones beep once a second): a new level above silence.
  const seen = value.level;
  const { value: heard } = await pollUntil(async () => {
    const m = await microphone(page);
    return m.level && JSON.stringify(m.level) !== JSON.stringify(seen) && m.level.rms > SILENCE_DB ? m : null;
  }, CHANGE_MS, `a level above ${SILENCE_DB} dB from the server after the switch`);
  log(`microphone switched to ${other.label} after ${Math.round(ms)} ms; the server hears ${heard.level.rms.toFixed(1)} dB`);
  await sameSession(page, server, 'after the microphone switch');
}

/**
 * The picture size and frame rate mid-stream, as the server sees them: 640x480 in its stats, then 320x240 after the
 * selector; 15 fps brings its frames in to about half. Then the camera toggle: off, the server gets (next to) no frames
 * and the session stays for longer than --peer-timeout; on, they come back. In Chromium (default) or RTFX_E2E_BROWSER:
 * Firefox's fake camera leaves applyConstraints' size alone, so there the page's other way, the camera opened again,
 * is what is tested; and it keeps its rate, so the 15 fps step is left out.
 */
export async function devicesSize(binary) {
  const kind = process.env.RTFX_E2E_BROWSER || 'chromium';
  const browser = await launchBrowser(kind);
  const server = await startServer(binary, { args: ['--peer-timeout', String(PEER_TIMEOUT_S), 'identity'] });
  const page = await connect(browser, server, `${kind}-size`);
  await serverStats(page, (s) => s.raw.size === '640x480' && s.fpsIn >= ON_FPS, 'the server receives 640x480');
  const large = await sending(page);

  await withTimeout(page.select('#video-size', '320x240'), 5000, 'select 320x240');
  await serverStats(page, (s) => s.raw.size === '320x240', 'the server receives 320x240');
  const small = await sending(page);
  check(small.samePc && small.width === 320 && small.height === 240,
        `the camera sends ${small.width}x${small.height} on ${small.samePc ? 'the same' : 'another'} peer connection`);
  log(`320x240 by ${small.trackId === large.trackId ? 'applyConstraints on the same track' : 'the camera opened again'}`);
  await framesKeepComing(page, 'at 320x240');

  if (kind === 'chromium') {
    await withTimeout(page.select('#video-fps', '15'), 5000, 'select 15 fps');
    // Two stats in a row in range: the first may still count part of a second at 30.
    let inRange = 0;
    await serverStats(page, (s) => {
      inRange = s.fpsIn >= HALF_RATE_FPS[0] && s.fpsIn <= HALF_RATE_FPS[1] ? inRange + 1 : 0;
      return inRange >= 2;
    }, `the server receives ${HALF_RATE_FPS[0]}-${HALF_RATE_FPS[1]} fps`);
  }

  await click(page, '#camera-toggle');
  const off = await evaluate(page, () => ({ camera: document.querySelector('#devices').dataset.camera,
    text: document.querySelector('#camera-toggle').textContent }));
  check(off.camera === 'off', `#devices says the camera is ${off.camera} after the toggle`);
  // (The first stats after the toggle may still count frames sent before it.)
  await serverStats(page, (s) => s.fpsIn <= OFF_FPS, `camera off: the server receives at most ${OFF_FPS} fps`);
  // Off for longer than the server waits for video: the session stays.
  await sleep(PEER_TIMEOUT_S * 1000 + 1000);
  await sameSession(page, server, 'camera off');
  await click(page, '#camera-toggle');
  await serverStats(page, (s) => s.fpsIn >= HALF_RATE_FPS[0], 'camera on again: the server receives frames');
  await framesKeepComing(page, 'camera on again');
  await sameSession(page, server, 'camera on again');
  log(`load ${load()}`);
  await browser.close();
  await stopServer(server);
}

/**
 * An init script: Chromium's fake_device_0 faces the user and fake_device_2 the other way, as a phone's two cameras
 * do (getSettings().facingMode), and getUserMedia's facingMode picks between them.
 */
function phoneCameras() {
  const facing = { fake_device_0: 'user', fake_device_2: 'environment' };
  const getSettings = MediaStreamTrack.prototype.getSettings;
  MediaStreamTrack.prototype.getSettings = function () {
    const settings = getSettings.call(this);
    return this.kind === 'video' && facing[this.label] ? { ...settings, facingMode: facing[this.label] } : settings;
  };
  const getUserMedia = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    const wanted = constraints?.video?.facingMode?.exact;
    if (!wanted) return getUserMedia(constraints);
    const label = Object.keys(facing).find((l) => facing[l] === wanted);
    const device = (await navigator.mediaDevices.enumerateDevices()).find((d) => d.label === label);
    const { facingMode, ...video } = constraints.video;
    return getUserMedia({ ...constraints, video: { ...video, deviceId: { exact: device.deviceId } } });
  };
}

/**
 * --video-size 320x240 --video-fps 15: GET /status and hello say so, and the page opens its camera at that. On a
 * "phone" (phoneCameras) 320 px wide, the device controls fit, and the front/back button turns to the other camera
 * at the same size, on the same peer connection.
 */
export async function devicesDefaults(binary) {
  const browser = await launchBrowser('chromium', { cameras: 3 });
  const server = await startServer(binary, { args: ['--video-size', '320x240', '--video-fps', '15', 'identity'] });
  const status = await getStatus(server.port);
  check(JSON.stringify(status.video) === JSON.stringify({ width: 320, height: 240, fps: 15 }),
        `GET /status says video ${JSON.stringify(status.video)}`);
  const page = await connect(browser, server, 'defaults', phoneCameras);
  const hello = (await signalingLog(page, ['hello'])).received[0]?.msg;
  check(JSON.stringify(hello?.video) === JSON.stringify(status.video), `hello says video ${JSON.stringify(hello?.video)}`);
  const selected = await evaluate(page, () => ({ size: document.querySelector('#video-size').value,
    fps: document.querySelector('#video-fps').value }));
  const s = await sending(page);
  log(`selectors ${JSON.stringify(selected)}; the camera sends ${s.width}x${s.height} at ${s.frameRate} fps`);
  check(selected.size === '320x240' && selected.fps === '15', 'the selectors do not show the server\'s defaults');
  check(s.width === 320 && s.height === 240, `the camera opened at ${s.width}x${s.height}`);
  await serverStats(page, (st) => st.raw.size === '320x240', 'the server receives 320x240');

  await withTimeout(page.setViewport({ width: NARROW_PX, height: 640 }), 5000, `a ${NARROW_PX} px wide window`);
  // What a screen reader is told: the browser's accessibility tree names each control.
  await checkNarrow(page, `connected at ${NARROW_PX} px, two cameras facing`, ['combobox: Camera',
    'combobox: Picture size', 'combobox: Frame rate', 'button: Turn camera off', 'button: Use the back camera']);
  await click(page, '#facing');
  const { value: back } = await pollUntil(async () => {
    const now = await sending(page);
    return now?.label === 'fake_device_2' ? now : null;
  }, CHANGE_MS, 'the back camera is sent');
  const facing = await evaluate(page, () => document.querySelector('#facing').textContent);
  log(`after #facing: sending ${back.label} at ${back.width}x${back.height}, #facing says "${facing}"`);
  check(back.samePc && back.width === 320 && back.height === 240,
        `the back camera goes out at ${back.width}x${back.height} on ${back.samePc ? 'the same' : 'another'} connection`);
  check(facing === 'Use the front camera', `#facing says "${facing}" on the back camera`);
  await framesKeepComing(page, 'the back camera');
  await click(page, '#stop');
  await waitForSessions(server, 0, STOP_TO_ZERO_MS);
  await browser.close();
  await stopServer(server);
}

// devices-resolution: the server's media ports (a range a u32 mask matches) and what the pages may send through them
// together; Chromium's default preference gives up picture size within about 10 s of this.
const PORTS = { first: 40000, mask: '0xffc0', range: '40000-40063' };
const NARROW = '150kbit';
const SHRINK_MS = 20000;
const tc = (...args) => execFileSync('tc', args, { stdio: ['ignore', 'ignore', 'pipe'] });

/** Everything the pages send to the server's media ports through one narrow class; all else unlimited. */
function narrowUpstream() {
  tc('qdisc', 'add', 'dev', 'lo', 'root', 'handle', '1:', 'htb', 'default', '30');
  tc('class', 'add', 'dev', 'lo', 'parent', '1:', 'classid', '1:30', 'htb', 'rate', '10gbit');
  tc('class', 'add', 'dev', 'lo', 'parent', '1:', 'classid', '1:20', 'htb', 'rate', NARROW, 'ceil', NARROW);
  tc('qdisc', 'add', 'dev', 'lo', 'parent', '1:20', 'bfifo', 'limit', '30000');
  tc('filter', 'add', 'dev', 'lo', 'parent', '1:', 'protocol', 'ip', 'prio', '1', 'u32', 'match', 'ip', 'protocol',
     '17', '0xff', 'match', 'ip', 'dport', String(PORTS.first), PORTS.mask, 'flowid', '1:20');
}

/** An init script: the page's sender is left at the browser's default degradation preference (no contentHint). */
function defaultPreference() {
  const setParameters = RTCRtpSender.prototype.setParameters;
  RTCRtpSender.prototype.setParameters = function (params) {
    delete params.degradationPreference;
    return setParameters.call(this, params);
  };
  Object.defineProperty(MediaStreamTrack.prototype, 'contentHint', { get: () => '', set() {} });
}

/** The page's outbound video: its size, rate and what limits it. */
async function outbound(page) {
  return evaluate(page, async () => {
    let o = null;
    (await window.rtfx.pc.getStats()).forEach((s) => {
      if (s.type === 'outbound-rtp' && s.kind === 'video') {
        o = { width: s.frameWidth, height: s.frameHeight, fps: s.framesPerSecond ?? 0, limit: s.qualityLimitationReason };
      }
    });
    return o;
  });
}

/**
 * Two pages send a film clip (Chromium's camera) through the same narrow path: the page as it is, and one whose sender
 * keeps the browser's default preference. The default one gives up picture size (which shows the path is narrow
 * enough to matter); the page's own keeps 640x480 all along, sending fewer frames instead.
 */
export async function devicesResolution(binary) {
  try { tc('qdisc', 'show', 'dev', 'lo'); } catch { throw new Skip('tc cannot shape lo here'); }
  const browser = await launchBrowser('chromium', { fakeVideo: await filmClip() });
  const server = await startServer(binary, { args: ['--ice-ports', PORTS.range, 'identity'] });
  const kept = await connect(browser, server, 'maintain-resolution');
  const balanced = await connect(browser, server, 'default-preference', defaultPreference);
  const prefs = await Promise.all([kept, balanced].map((p) => evaluate(p, () =>
    window.rtfx.pc.getTransceivers()[0].sender.getParameters().degradationPreference ?? 'default')));
  check(prefs[0] === 'maintain-resolution' && prefs[1] === 'default', `the senders' preferences are ${prefs}`);

  onCleanup(() => { try { tc('qdisc', 'del', 'dev', 'lo', 'root'); } catch { /* already free */ } });
  narrowUpstream();
  const keptSizes = new Set();
  let last = null;
  const { ms } = await pollUntil(async () => {
    const [k, b] = await Promise.all([outbound(kept), outbound(balanced)]);
    if (k?.width) keptSizes.add(`${k.width}x${k.height}`);
    last = { kept: k, balanced: b };
    return b && b.width < 640 ? b : null;
  }, SHRINK_MS, `the default-preference page sends less than 640 wide through ${NARROW}`,
  { intervalMs: 500, describe: () => JSON.stringify(last) });
  log(`through ${NARROW}, after ${Math.round(ms)} ms: ${JSON.stringify(last)}; the maintain-resolution page sent ` +
      `${[...keptSizes].join(', ')}; load ${load()}`);
  check(keptSizes.size === 1 && keptSizes.has('640x480'),
        `the maintain-resolution page sent ${[...keptSizes].join(', ')}, not 640x480 only`);
  await browser.close();
  await stopServer(server);
}
