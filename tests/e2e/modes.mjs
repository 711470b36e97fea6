// The scenarios of rtfx-launch's modes (docs/protocol.md, "Modes"): `sendonly` (the camera goes to the server, nothing
// comes back but what the chain reports), `recvonly-live` and `recvonly-file` (no camera: the server's --source goes
// through the chain to the page, a live test pattern and a file made here, looped or ended), and `time-limit`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  check, evaluate, faceVideo, fps, freePort, getStatus, inboundVideo, launchBrowser, log, onCleanup, openPage, pollUntil,
  recordSignaling, runToExit, signalingLog, sleep, startServer, stopServer, click, waitForSessions, waitForState,
} from './lib.mjs';

const CONNECT_MS = 15000;
const WINDOW_MS = 3000;
const STOP_TO_ZERO_MS = 1000;
// What the issue asks: the server receives this much from the camera in sendonly, the page decodes this much of the
// server's source in recvonly.
const MIN_SENDONLY_FPS_IN = 25;
const MIN_RECVONLY_FPS = 20;
// A 30 fps file played faster than this is not paced at its own speed.
const MAX_FILE_FPS = 45;
const CLIP_SECONDS = 3;
const TIME_LIMIT_S = 3;
// Generous bounds for a shared 2-core machine: how late a bye may come after what causes it.
const BYE_SLACK_MS = 5000;

/**
 * An init script: window.rtfxCameraRequests counts the page's getUserMedia calls. A string, as openPage's init, so
 * that it runs with recordSignaling.
 */
const countCameraRequests = `(${recordSignaling})();
  window.rtfxCameraRequests = 0;
  if (navigator.mediaDevices) {
    const getUserMedia = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    navigator.mediaDevices.getUserMedia = (...args) => { window.rtfxCameraRequests++; return getUserMedia(...args); };
  }`;

/** Clicks #start and waits for `connected`; the page's and the server's mode must both be `mode`. */
async function connectIn(page, server, mode) {
  const status = await getStatus(server.port);
  check(status.mode === mode, `GET /status says mode ${JSON.stringify(status.mode)}, not ${mode}`);
  await click(page, '#start');
  const { value } = await waitForState(page, ['connected', 'failed'], CONNECT_MS);
  check(value.dataState === 'connected', `${page.rtfxName}: #status went to "failed" (${value.text})`);
  const hello = (await signalingLog(page, ['hello'])).received.at(-1)?.msg;
  check(hello?.mode === mode, `hello says mode ${JSON.stringify(hello?.mode)}, not ${mode}`);
  return evaluate(page, () => {
    const note = document.querySelector('#mode-note');
    return {
      mode: window.rtfx.mode,
      note: note && !note.hidden ? note.textContent.trim() : '',
      localShown: !document.querySelector('#local').closest('figure').hidden,
      devicesShown: !document.querySelector('#devices').hidden,
      remoteShown: !document.querySelector('#remote').closest('figure').hidden,
      direction: window.rtfx.pc.getTransceivers()[0]?.currentDirection ?? null,
      cameraRequests: window.rtfxCameraRequests ?? null,
    };
  });
}

/** The server's next `bye` to page (after the `seen` ones), once it comes within ms: {msg, t} (on the page's clock). */
async function byeWithin(page, ms, what, seen = 0) {
  const { value } = await pollUntil(async () => (await signalingLog(page, ['bye'])).received[seen] ?? null, ms,
    `${page.rtfxName}: a bye (${what})`, { intervalMs: 50 });
  return value;
}

/** After a bye: #status failed, showing the reason. */
async function failedWith(page, bye) {
  const { value } = await waitForState(page, ['failed'], 2000);
  check(value.text.includes(bye.msg.reason), `#status says "${value.text}", not the bye's reason "${bye.msg.reason}"`);
}

/**
 * sendonly: the camera (a still of a face, 30 fps) reaches the server at MIN_SENDONLY_FPS_IN or more (its `stats`),
 * nothing comes back, the page says so and shows its preview only, and rtfxfacedetect's detections still reach the
 * page's list over the data channel.
 */
export async function sendonly(binary) {
  const browser = await launchBrowser('chromium', { fakeVideo: await faceVideo() });
  const server = await startServer(binary, { args: ['--mode', 'sendonly', 'rtfxlatest ! rtfxfacedetect max-rate=15'] });
  const page = await openPage(browser, server.url, 'sendonly', { init: recordSignaling });
  const view = await connectIn(page, server, 'sendonly');
  log(`sendonly page: ${JSON.stringify(view)}`);
  check(view.mode === 'sendonly' && view.direction === 'sendonly', 'the page does not send only');
  check(view.note.length > 0, 'the page does not say that no video comes back');
  check(view.localShown && !view.remoteShown, 'the page shows a place for video that does not come');

  const { value: found, ms } = await pollUntil(async () => {
    const d = await evaluate(page, () => window.rtfx.detections);
    return d?.type === 'rtfx/faces' && d.faces?.length > 0 ? d : null;
  }, 10000, 'an rtfx/faces message with a face, on the data channel');
  const listed = await evaluate(page, () => {
    const li = document.querySelector('#detections li[data-type="rtfx/faces"]');
    return li && !document.querySelector('#detections').hidden ? Number(li.dataset.count) : null;
  });
  log(`${found.faces.length} face(s) found ${Math.round(ms)} ms after connected; #detections lists ${listed}`);
  check(listed >= 1, `#detections lists ${listed} faces`);

  // Three more seconds of the server's counts, after the face, and past the first two: Chromium's camera sends fewer
  // frames while its bandwidth estimate starts.
  const statsSoFar = async () => (await signalingLog(page, ['stats'])).received.map((e) => e.msg.fps_in);
  const wanted = Math.max((await statsSoFar()).length + 3, 5);
  const { value: rates } = await pollUntil(async () => {
    const r = await statsSoFar();
    return r.length >= wanted ? r : null;
  }, 10000, `${wanted} stats messages`);
  const last = rates.slice(-3).sort((a, b) => a - b);
  const remote = await inboundVideo(page);
  const remoteSrc = await evaluate(page, () => document.querySelector('#remote').srcObject !== null);
  log(`server receives ${rates.map((r) => r.toFixed(1)).join(', ')} fps (median of the last 3: ${last[1]}); ` +
      `page's inbound video: ${JSON.stringify(remote)}, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  check(last[1] >= MIN_SENDONLY_FPS_IN,
        `the server receives ${last[1]} fps from the camera, below ${MIN_SENDONLY_FPS_IN}`);
  check(!remote || remote.framesDecoded === 0, `the page decoded ${remote?.framesDecoded} frames it should not get`);
  check(!remoteSrc, '#remote has a stream');

  await click(page, '#stop');
  await waitForSessions(server, 0, STOP_TO_ZERO_MS);
  await browser.close();
  await stopServer(server);
}

/**
 * A page of server (in recvonly) watching its source: connected without asking for a camera, decoding
 * MIN_RECVONLY_FPS or more over windowMs. Returns the page, still connected, and the server's fps_in so far.
 */
async function watch(browser, server, name, windowMs) {
  const page = await openPage(browser, server.url, name, { init: countCameraRequests });
  const view = await connectIn(page, server, 'recvonly');
  log(`${name} page: ${JSON.stringify(view)}`);
  check(view.mode === 'recvonly' && view.direction === 'recvonly', 'the page does not receive only');
  check(view.cameraRequests === 0, `the page asked for the camera ${view.cameraRequests} time(s)`);
  check(!view.localShown && view.remoteShown, 'the page shows a camera preview in recvonly');
  check(!view.devicesShown, 'the page offers camera choices in recvonly');
  await pollUntil(async () => ((await inboundVideo(page))?.framesDecoded > 0 ? true : null), 10000,
    `${name}: first decoded frame`);
  const a = await inboundVideo(page);
  await sleep(windowMs);
  const b = await inboundVideo(page);
  const rate = fps(a, b);
  const stats = (await signalingLog(page, ['stats'])).received.map((e) => e.msg.fps_in);
  log(`${name}: ${rate.fps.toFixed(1)} fps decoded (${rate.frames} frames in ${rate.seconds.toFixed(2)} s, ` +
      `${b.frameWidth}x${b.frameHeight}); server's source gives ${stats.map((r) => r.toFixed(1)).join(', ')} fps; ` +
      `load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  check(rate.fps >= MIN_RECVONLY_FPS, `the page decodes ${rate.fps.toFixed(1)} fps, below ${MIN_RECVONLY_FPS}`);
  check(await evaluate(page, () => window.rtfxCameraRequests) === 0, 'the page asked for the camera');
  return { page, stats };
}

/** recvonly from a live test pattern, in Chromium (or RTFX_E2E_BROWSER). */
export async function recvonlyLive(binary) {
  const browser = await launchBrowser(process.env.RTFX_E2E_BROWSER || 'chromium');
  const server = await startServer(binary, { args: ['--mode', 'recvonly', '--source',
    'videotestsrc is-live=true ! video/x-raw,width=640,height=480,framerate=30/1'] });
  const { page } = await watch(browser, server, 'recvonly-live', WINDOW_MS);
  await click(page, '#stop');
  await waitForSessions(server, 0, STOP_TO_ZERO_MS);
  await browser.close();
  await stopServer(server);
}

/**
 * CLIP_SECONDS of a moving test pattern at 30 fps, VP8 in WebM, in a temporary folder; with a sound track, as films
 * have (the source takes its video only).
 */
async function makeClip() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rtfx-modes-'));
  onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'clip.webm');
  const r = await runToExit('gst-launch-1.0', ['-q', 'videotestsrc', `num-buffers=${30 * CLIP_SECONDS}`,
    'pattern=ball', '!', 'video/x-raw,width=640,height=480,framerate=30/1', '!', 'vp8enc', 'deadline=1', '!',
    'webmmux', 'name=mux', '!', 'filesink', `location=${file}`,
    'audiotestsrc', `num-buffers=${Math.ceil((44100 * CLIP_SECONDS) / 1024)}`, '!', 'audioconvert', '!',
    'audioresample', '!', 'opusenc', '!', 'mux.'], 30000);
  check(r.code === 0, `making ${file} failed: ${r.stderr}`);
  return file;
}

/**
 * recvonly from a file made here: with --loop it plays on past its end, at its own speed (the server's fps_in no
 * more than MAX_FILE_FPS); without, its end ends the session with a bye `source-ended`; once the file is gone a
 * session ends with `source-failed` while the server goes on, and so does one whose RTSP server is not there.
 */
export async function recvonlyFile(binary) {
  const file = await makeClip();
  const source = `uridecodebin uri=file://${file}`;
  const browser = await launchBrowser('chromium');

  let server = await startServer(binary, { args: ['--mode', 'recvonly', '--source', source, '--loop'] });
  const { page, stats } = await watch(browser, server, 'recvonly-loop', (CLIP_SECONDS + 2) * 1000);
  const fastest = Math.max(...stats);
  check(fastest <= MAX_FILE_FPS, `the server's source ran at ${fastest} fps: the 30 fps file is not paced`);
  check((await signalingLog(page, ['bye'])).received.length === 0, 'a bye came while the file loops');
  await click(page, '#stop');
  await waitForSessions(server, 0, STOP_TO_ZERO_MS);
  await stopServer(server);

  server = await startServer(binary, { args: ['--mode', 'recvonly', '--source', source] });
  const once = await openPage(browser, server.url, 'recvonly-once', { init: countCameraRequests });
  await connectIn(once, server, 'recvonly');
  const connectedAt = (await signalingLog(once)).now;
  const ended = await byeWithin(once, CLIP_SECONDS * 1000 + BYE_SLACK_MS, 'the file\'s end');
  log(`file played once: bye ${JSON.stringify(ended.msg)} ${Math.round(ended.t - connectedAt)} ms after connected`);
  check(ended.msg.code === 'source-ended', `the bye's code is ${ended.msg.code}, not source-ended`);
  await failedWith(once, ended);

  fs.rmSync(file);
  await click(once, '#start');
  const failed = await byeWithin(once, BYE_SLACK_MS, 'the file is gone', 1);
  log(`file gone: bye ${JSON.stringify(failed.msg)}`);
  check(failed.msg.code === 'source-failed', `the bye's code is ${failed.msg.code}, not source-failed`);
  await failedWith(once, failed);
  await waitForSessions(server, 0, STOP_TO_ZERO_MS);
  await stopServer(server);

  // A network source whose server is not there (a port nothing listens on).
  server = await startServer(binary, { args: ['--mode', 'recvonly', '--source',
    `rtspsrc location=rtsp://127.0.0.1:${await freePort()}/none ! decodebin`] });
  const rtsp = await openPage(browser, server.url, 'recvonly-rtsp', { init: recordSignaling });
  await click(rtsp, '#start');
  const gone = await byeWithin(rtsp, BYE_SLACK_MS, 'no RTSP server');
  log(`RTSP server gone: bye ${JSON.stringify(gone.msg)}`);
  check(gone.msg.code === 'source-failed', `the bye's code is ${gone.msg.code}, not source-failed`);
  await failedWith(rtsp, gone);
  await waitForSessions(server, 0, STOP_TO_ZERO_MS);
  await browser.close();
  await stopServer(server);
}

/** --time-limit: the session ends with a bye `time-limit` no sooner than the limit after its offer. */
export async function timeLimit(binary) {
  const browser = await launchBrowser('chromium');
  const server = await startServer(binary, { args: ['--time-limit', String(TIME_LIMIT_S)] });
  const page = await openPage(browser, server.url, 'time-limit', { init: recordSignaling });
  await connectIn(page, server, 'sendrecv');
  const offer = (await signalingLog(page, ['offer'])).sent[0];
  const bye = await byeWithin(page, TIME_LIMIT_S * 1000 + BYE_SLACK_MS, 'the time limit');
  const ms = bye.t - offer.t;
  log(`bye ${JSON.stringify(bye.msg)} ${Math.round(ms)} ms after the offer`);
  check(bye.msg.code === 'time-limit', `the bye's code is ${bye.msg.code}, not time-limit`);
  check(ms >= TIME_LIMIT_S * 1000, `the session ended ${Math.round(ms)} ms after its offer, before the limit`);
  await failedWith(page, bye);
  await waitForSessions(server, 0, STOP_TO_ZERO_MS);
  await browser.close();
  await stopServer(server);
}
