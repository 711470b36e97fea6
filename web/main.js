// rtfx page: wires the buttons, the status line and the videos to one session at a time (session.js), its
// websocket (signaling.js), the control panel (controls.js), the session's numbers (stats.js), the microphone's
// level (meter.js) and the camera and microphone pickers (devices.js, which has its own test contract).
//
// Test contract: the end-to-end tests rely on exactly this; change them together.
//   #start, #stop        <button>s. Start is disabled while a session is connecting or connected, Stop otherwise.
//   #status              the status line, role="status". Its data-state is one of
//                        idle | connecting | connected | failed | stopped; its text is "Connecting…", "Connected",
//                        "Failed: <reason>" or "Stopped" (a notice may follow "Connected"). It is idle at load,
//                        or failed at once when the browser cannot use a camera here (e.g. insecure origin).
//   <video id="local">   the camera preview (its figure hidden when the server runs --mode recvonly).
//   <video id="remote">  the processed video the server sends back (autoplay playsinline muted; its figure hidden
//                        when the server runs --mode sendonly).
//   #mode-note           a visible sentence saying what the server's mode leaves out; hidden in sendrecv.
//   window.rtfx.pc       getter: the current RTCPeerConnection, or null.
//   window.rtfx.state    getter: the same value as #status's data-state.
//   window.rtfx.mode     getter: the server's mode, sendrecv | sendonly | recvonly (docs/protocol.md), as GET /status
//                        said at load and each hello since; sendrecv until then.
//   window.rtfx.audio    getter: whether the server takes the microphone (rtfx-launch --audio), from the same places;
//                        false until then. Start then asks for the camera and the microphone.
//   <audio id="remote-audio">  the server's processed microphone (sendrecv with --audio), played beside the muted video.
//   #mic                 the microphone's level as the server hears it (rtfx/audio-level on the data channel): a
//                        <meter> and an <output>; data-rms and data-peak (dBFS, -100 to 0) of the newest message.
//                        Hidden until the first one, and again on Stop.
//   window.rtfx.audioLevel getter: the newest rtfx/audio-level message, parsed, or null.
//   window.rtfx.timeline getter: the steps of the newest session from the click on Start, [{step, ms}] in the
//                        order they happened (timeline.js), or null before the first Start. Steps: click, camera,
//                        websocket-open, hello, offer-sent, first-local-candidate, answer-received,
//                        first-remote-candidate, ice-connected, connected, track, first-frame.
// "connected" means the peer connection is connected and the server's video track has arrived (in sendonly, where no
// video comes back, that the peer connection is connected). In recvonly the page never asks for the camera.
//
// Live controls and presets (docs/protocol.md), shown once the session's first `controls` arrives, emptied on Stop:
//   #preset              the <select> of the server's presets, value = the preset in force; choosing one sends
//                        `preset`. Hidden (but filled) when the server offers fewer than two.
//   #controls            the panel: a <fieldset> per element. The input that carries each control's value has
//                        data-element and data-property: the range input of a slider (a number input beside it
//                        can be typed into), the number input when the range is too large for a slider, the
//                        checkbox, the <select> of an enum, the text input, and for flags their <fieldset> of
//                        checkboxes. After a `value` or `error` reply it shows the value in force.
//   #stats               data-fps-in, data-fps-out (server receives / sends, frames per second), data-dropped
//                        (frames dropped by rtfxlatest), data-bitrate (kbit/s the server's video is sent at),
//                        data-rtt-ms (round-trip time the page measures), numbers, and data-size (the picture
//                        the server receives, "WIDTHxHEIGHT")
//                        as text; each attribute is absent while unknown. Updated every second.
//   window.rtfx.controls getter: the last `controls` message of the session, or null.
//   window.rtfx.set(element, property, value)  sends a `set` as the widgets do; false if there is no websocket.
// Connection help (docs/deploy.md, "When the page does not connect"):
//   #connect-help        hidden until connecting (Start to the first processed frame on screen, or to connected in
//                        sendonly) has taken HELP_AFTER_MS (10 s; ?help-after=SECONDS in the page's address sets it;
//                        from the offer and the camera's joining on when the camera took longer than that to be
//                        allowed or to open),
//                        with data-reason="slow" and #connect-help-trying shown; hidden again once the frame is there.
//                        Shown with data-reason="failed" (and without #connect-help-trying) when the session fails
//                        because ICE did (the page's own verdict, or the server's bye with code ice-failed) or nothing
//                        connected within CONNECT_TIMEOUT_MS of the offer and the camera; #status then says so in
//                        plain words. Hidden on Start.
// Texts: every word comes from texts.json (texts.js; rtfx-launch --page-texts replaces them): the texts quoted above
// are the built-in ones.
// Access: #token-form (a <form> with input #token) appears when the server refuses the page with code
// token-required; submitting it reloads the page with ?token=, which signaling.js passes to /ws.
// What the chain finds (rtfx/ messages on the session's data channel, docs/protocol.md):
//   #detections          a list with one <li data-type="rtfx/…" data-count="N"> per message type, the newest.
//   window.rtfx.detections getter: the newest such message, parsed, or null.
// Recordings (rtfx-launch --record-in, --record-out; docs/recording.md), emptied on Start:
//   #recording-error     role="alert", shown with a sentence when the server says a recording stopped
//                        (`recording-failed`); the session goes on.
//   #recordings          shown once a session with recordings has ended (Stop, a bye, a lost connection): one
//                        <a data-direction="in|out" download> per file kept, its href the server's link; its
//                        data-ready is "true" once the server has finished the file, "false" until then.

import { Signaling, signalingUrl } from './signaling.js';
import { Session, cameraAllowed, cameraUnavailableReason, openCamera } from './session.js';
import { ControlPanel } from './controls.js';
import { StatsView } from './stats.js';
import { DetectionsView } from './detections.js';
import { RecordingsView } from './recordings.js';
import { MicMeter } from './meter.js';
import { Timeline } from './timeline.js';
import { loadTexts, text } from './texts.js';
import { Devices } from './devices.js';

// Every text the page shows comes from texts.json (texts.js): it is there before anything is shown.
await loadTexts();

const ui = {
  start: document.getElementById('start'),
  stop: document.getElementById('stop'),
  status: document.getElementById('status'),
  local: document.getElementById('local'),
  remote: document.getElementById('remote'),
  remoteAudio: document.getElementById('remote-audio'),
  chain: document.getElementById('chain'),
  chainText: document.getElementById('chain-text'),
  version: document.getElementById('server-version'),
  panel: document.getElementById('panel'),
  modeNote: document.getElementById('mode-note'),
  help: document.getElementById('connect-help'),
  helpTurn: document.getElementById('connect-help-turn'),
  helpTrying: document.getElementById('connect-help-trying'),
};

const panel = new ControlPanel({
  panel: ui.panel,
  presetRow: document.getElementById('preset-row'),
  preset: document.getElementById('preset'),
  presetError: document.getElementById('preset-error'),
  list: document.getElementById('controls'),
  message: document.getElementById('panel-message'),
}, (msg) => run?.signaling?.send(msg) ?? false);
const stats = new StatsView(document.getElementById('stats'), () => run?.session?.pc ?? null);
const detections = new DetectionsView(document.getElementById('detections'));
const recordings = new RecordingsView(document.getElementById('recordings'),
  document.getElementById('recording-error'));
const meter = new MicMeter(document.getElementById('mic'));
const devices = new Devices(document.getElementById('devices'), ui.local);

let state = 'idle';
// The server's mode (docs/protocol.md): GET /status tells it at load, so that Start can open the camera at once when
// one is wanted and never ask for it when none is; each hello says it again, and that is what a session follows.
let mode = 'sendrecv';
// Whether the server takes the microphone (--audio), from the same places as the mode. Start asks for the microphone
// with the camera when /status said so; a session follows its hello (a camera opened without it then sends no sound).
let audio = false;
const MODES = ['sendrecv', 'sendonly', 'recvonly'];
// The session being started or running, or null. Each await in start() checks it is still this one:
// Stop may have been pressed meanwhile.
let run = null;
// The newest session's steps, kept after it ends.
let timeline = null;
// ICE with no candidate at all never fails, it waits: without a deadline a silent server leaves "Connecting…" forever.
const CONNECT_TIMEOUT_MS = 30000;
// Connecting that takes longer than this (from Start to the first processed frame on screen, or to connected where
// none comes back) brings up the connection help: ?help-after=SECONDS in the page's address changes it.
const HELP_AFTER_MS = helpAfterMs(10000);
// The failures the connection help explains: ICE failed on either side, or nothing connected in time.
const HELPED_CODES = ['ice-failed', 'connect-timeout'];

function helpAfterMs(fallback) {
  const seconds = Number(new URLSearchParams(window.location.search).get('help-after'));
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : fallback;
}

function show(next, words) {
  state = next;
  ui.status.dataset.state = next;
  ui.status.textContent = words;
  const busy = next === 'connecting' || next === 'connected';
  const focused = document.activeElement;
  ui.start.disabled = busy;
  ui.stop.disabled = !busy;
  // A button that disables itself drops the keyboard focus: hand it to the other one.
  if (focused === ui.start && busy) ui.stop.focus();
  else if (focused === ui.stop && !busy) ui.start.focus();
}

function notice(words) {
  ui.status.textContent = text('status.connected-notice', { notice: words });
}

/** The connection help for run r: while it is still trying, or (failed) once it gave up. */
function showHelp(r, failed) {
  ui.helpTurn.textContent = text(r.hasTurn ? 'help.turn-unreachable' : 'help.no-turn');
  ui.helpTrying.hidden = failed;
  ui.help.dataset.reason = failed ? 'failed' : 'slow';
  ui.help.hidden = false;
}

function hideHelp() {
  ui.help.hidden = true;
  delete ui.help.dataset.reason;
}

/** HELP_AFTER_MS have passed for run r: the help, unless what it connects for has come. */
function helpDue(r) {
  if (run !== r || arrived(r)) return;
  // A person may take a while to allow the camera, and a camera to open, which is not the connection's doing: the
  // connection gets its full HELP_AFTER_MS from when it is all that is left (connectingFromNow).
  if (!connectionLeft(r)) {
    r.helpWaits = true;
    return;
  }
  showHelp(r, false);
}

/** Whether all that is left of run r is the connection's: the offer is out and the camera, if any, has joined. */
function connectionLeft(r) {
  return r.offerSent && !r.cameraPending;
}

/** The offer is out or the camera has joined; each happens once a run. After the later of the two, the rest is the
 * connection's: its time limit, and a help that waited for them, count from then. */
function connectingFromNow(r) {
  if (!connectionLeft(r)) return;
  if (!r.connected) {
    r.timer = setTimeout(() => fail(r, text('error.connect-timeout', { seconds: CONNECT_TIMEOUT_MS / 1000 }), true,
      'connect-timeout'), CONNECT_TIMEOUT_MS);
  }
  if (r.helpWaits) {
    r.helpWaits = false;
    r.helpTimer = setTimeout(() => helpDue(r), HELP_AFTER_MS);
  }
}

/** Whether run r has got what it connects for: the first processed frame, or in sendonly the connection. */
function arrived(r) {
  return r.connected && (mode === 'sendonly' || r.timeline.has('first-frame'));
}

async function start(ev) {
  if (run) return;
  const r = run = {
    stream: null, signaling: null, session: null, offerSent: false, early: [], connected: false, timer: 0,
    hasTurn: false, helpTimer: 0, helpWaits: false, cameraPending: false,
  };
  r.timeline = timeline = new Timeline(ev?.timeStamp, (step) => {
    if (step === 'first-frame' && run === r && arrived(r)) hideHelp();
  });
  hideHelp();
  show('connecting', text('status.connecting'));
  r.helpTimer = setTimeout(() => helpDue(r), HELP_AFTER_MS);
  stats.start();
  recordings.clear();
  try {
    // The camera opens while the websocket, the hello and the offer are made: none of them needs it.
    let camera = mode === 'recvonly' ? null : openCameraFor(r);
    const allowed = camera && cameraAllowed(audio);
    // The server's hello, first on the websocket, says its mode and which STUN/TURN servers the connection may use.
    const hello = new Promise((resolve) => { r.gotHello = resolve; });
    r.signaling = new Signaling(signalingUrl(), serverHandlers(r), (ev) => lost(r, ev));
    await r.signaling.opened;
    r.timeline.mark('websocket-open');
    const { ice_servers: iceServers } = await hello;
    if (run !== r) return release(r);
    r.hasTurn = Array.isArray(iceServers) && iceServers.some((s) => [].concat(s?.urls).some((u) => /^turns?:/.test(u)));
    // The mode /status gave at load was out of date (the server restarted meanwhile).
    if (mode === 'recvonly' && camera) {
      camera.then(() => { r.stream?.getTracks().forEach((t) => t.stop()); r.stream = null; });
      camera = null;
    } else if (mode !== 'recvonly') {
      camera ??= openCameraFor(r);
    }
    r.session = new Session(sessionHandlers(r), Array.isArray(iceServers) ? iceServers : [], mode, audio);
    r.timeline.watchConnection(r.session.pc);
    const sdp = await r.session.createOffer();
    if (run !== r) return release(r);
    const joined = camera && joinCamera(r, camera);
    // The server gives up on a session whose video does not come (--peer-timeout), and a person asked to allow the
    // camera may take longer than that: then the offer waits for the camera. When the browser says it is allowed
    // already, the camera joins whenever it opens, and its opening overlaps the connection's.
    if (joined && !(await allowed)) await joined;
    if (run !== r) return release(r);
    r.timeline.mark('offer-sent');
    r.signaling.send({ type: 'offer', sdp });
    r.offerSent = true;
    connectingFromNow(r);
    // The protocol wants candidates only after the offer.
    for (const c of r.early) sendCandidate(r, c);
    r.early = [];
  } catch (err) {
    fail(r, err.message);
  }
}

/** The camera's track joins run r's session once camera (openCameraFor's) has opened it. Resolves when it has joined
 * or the run has ended. */
async function joinCamera(r, camera) {
  r.cameraPending = true;
  await camera;
  if (run !== r) return;
  try {
    ui.local.srcObject = r.stream;
    await r.session.setCamera(r.stream);
    if (run !== r) return;
    devices.attach(r.stream, r.session);
    r.cameraPending = false;
    connectingFromNow(r);
  } catch (err) {
    fail(r, err.message);
  }
}

/** Opens the camera for run r. A camera that cannot be opened fails the run at once. Once open, release() closes it;
 * if the run ended before, it is closed here. */
function openCameraFor(r) {
  return openCamera(devices.constraints(audio)).then((stream) => {
    r.timeline.mark('camera');
    r.stream = stream;
    if (run !== r) stream.getTracks().forEach((t) => t.stop());
  }, (err) => fail(r, err.message));
}

/** What Start will do, for the idle status line. */
function idleText() {
  if (mode === 'recvonly') return text('status.idle.watch');
  return text(audio ? 'status.idle.camera-microphone' : 'status.idle.camera');
}

/** Shows what the server's mode (a string from /status or hello; anything else counts as sendrecv) leaves out. */
function applyMode(next) {
  mode = MODES.includes(next) ? next : 'sendrecv';
  document.body.dataset.mode = mode;
  ui.modeNote.textContent = mode === 'sendrecv' ? '' : text(`mode.${mode}`);
  ui.modeNote.hidden = mode === 'sendrecv';
  ui.local.closest('figure').hidden = mode === 'recvonly';
  ui.remote.closest('figure').hidden = mode === 'sendonly';
  if (state === 'idle') show('idle', idleText());
  // A browser without a camera can still watch.
  if (state === 'failed' && !run && cameraUnavailableReason() && mode === 'recvonly') show('idle', idleText());
}

function serverHandlers(r) {
  return {
    hello(msg) {
      r.timeline.mark('hello');
      audio = msg.audio === true;
      applyMode(msg.mode);
      devices.configure(msg);
      r.gotHello?.(msg);
      showChain(msg.chain);
      ui.version.textContent = msg.version ? text('footer.version', { version: msg.version }) : '';
    },
    controls(msg) {
      if (run !== r) return;
      // The chain in force changes with the preset.
      if (typeof msg.chain === 'string') showChain(msg.chain);
      panel.render(msg);
    },
    value(msg) {
      panel.value(msg);
    },
    stats(msg) {
      stats.server(msg);
    },
    recording(msg) {
      if (run === r) recordings.offer(msg);
    },
    'recording-failed'(msg) {
      if (run === r) recordings.fail(msg);
    },
    answer(msg) {
      r.timeline.mark('answer-received');
      if (typeof msg.sdp === 'string') r.session?.applyAnswer(msg.sdp);
    },
    ice(msg) {
      if (typeof msg.candidate === 'string' && msg.candidate && Number.isInteger(msg.sdpMLineIndex)) {
        r.timeline.mark('first-remote-candidate');
        r.session?.addRemoteCandidate(msg.candidate, msg.sdpMLineIndex);
      }
    },
    error(msg) {
      // A refused set or preset: shown where it was made, and no reason to end the session.
      if (panel.claimError(msg)) return;
      const message = typeof msg.message === 'string' && msg.message ? msg.message : text('error.server');
      // Once media flows a complaint about one message is not worth ending the session for.
      if (r.connected) notice(text('error.server-says', { message }));
      else fail(r, message);
    },
    bye(msg) {
      // The server's words, but the page's own where it has some for the server's code (docs/protocol.md).
      let reason = typeof msg.reason === 'string' && msg.reason ? msg.reason : text('error.server-ended');
      if (msg.code === 'ice-failed') reason = text('error.ice-failed');
      fail(r, reason, false, msg.code);
    },
  };
}

function sessionHandlers(r) {
  return {
    candidate(c) {
      r.timeline.mark('first-local-candidate');
      if (r.offerSent) sendCandidate(r, c);
      else r.early.push(c);
    },
    remote(stream, kind) {
      if (run !== r) return;
      if (kind === 'audio') {
        ui.remoteAudio.srcObject = stream;
        // Start's click lets the page play sound; a browser that still refuses leaves the video as it is.
        ui.remoteAudio.play().catch((err) => console.warn('rtfx: the server\'s sound does not play:', err));
        return;
      }
      r.timeline.mark('track');
      r.timeline.watchFirstFrame(ui.remote);
      ui.remote.srcObject = stream;
      // autoplay should do this; an explicit play() also covers browsers that wait for a new source.
      ui.remote.play().catch(() => {});
    },
    connected() {
      if (run !== r) return;
      r.connected = true;
      clearTimeout(r.timer);
      if (arrived(r)) hideHelp();
      show('connected', text('status.connected'));
      if (audio && mode !== 'recvonly' && r.stream && r.stream.getAudioTracks().length === 0) {
        notice(text('error.no-microphone'));
      }
    },
    interrupted() {
      if (run === r) notice(text('error.interrupted'));
    },
    failed(reason, code) {
      fail(r, reason, true, code);
    },
    data(json) {
      if (run === r && !meter.show(json)) detections.show(json);
    },
  };
}

function showChain(chain) {
  ui.chainText.textContent = String(chain ?? '');
  ui.chain.hidden = !chain;
}

function sendCandidate(r, c) {
  r.signaling.send({ type: 'ice', candidate: c.candidate, sdpMLineIndex: c.sdpMLineIndex });
}

function lost(r, ev) {
  fail(r, ev.reason ? text('error.lost', { reason: ev.reason }) : text('error.lost-code', { code: ev.code }));
}

/** Ends the run with reason shown; code is the server's machine-readable one (docs/protocol.md), if any. */
function fail(r, reason, sayBye = true, code = undefined) {
  if (run !== r) return;
  end('failed', text('status.failed', { reason }), sayBye);
  if (HELPED_CODES.includes(code)) showHelp(r, true);
  // The server wants a token (rtfx-launch --token): ask for it, then reload with ?token=.
  if (code === 'token-required') {
    tokenForm.hidden = false;
    tokenForm.elements.token.focus();
  }
}

function stop() {
  if (run) end('stopped', text('status.stopped'));
}

function end(next, words, sayBye = true) {
  const r = run;
  run = null;
  devices.detach();
  if (r) release(r, sayBye);
  hideHelp();
  ui.local.srcObject = null;
  ui.remote.srcObject = null;
  ui.remoteAudio.srcObject = null;
  // The panel goes away: a keyboard focus inside it would fall to the page's start.
  const focusInPanel = ui.panel.contains(document.activeElement);
  panel.clear();
  stats.clear();
  detections.clear();
  recordings.show();
  meter.clear();
  show(next, words);
  if (focusInPanel) ui.start.focus();
}

function release(r, sayBye = true) {
  clearTimeout(r.timer);
  clearTimeout(r.helpTimer);
  // The websocket sends the bye before its close frame, so closing right after is safe.
  if (sayBye) r.signaling?.send({ type: 'bye' });
  r.signaling?.close();
  r.session?.close();
  r.stream?.getTracks().forEach((t) => t.stop());
}

const tokenForm = document.getElementById('token-form');
tokenForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const url = new URL(window.location.href);
  url.searchParams.set('token', tokenForm.elements.token.value);
  window.location.assign(url);
});

ui.start.addEventListener('click', start);
ui.stop.addEventListener('click', stop);
// The server notices a vanished peer anyway; a bye just lets it free the pipeline at once. Firefox closes the
// websocket before pagehide when reloading or navigating away, so beforeunload is where its bye still goes out.
window.addEventListener('beforeunload', stop);
window.addEventListener('pagehide', stop);

window.rtfx = Object.freeze({
  get pc() { return run?.session?.pc ?? null; },
  get state() { return state; },
  get mode() { return mode; },
  get audio() { return audio; },
  get audioLevel() { return meter.last; },
  get timeline() { return timeline?.list ?? null; },
  get controls() { return panel.schema; },
  get detections() { return detections.last; },
  set(element, property, value) { return panel.set(element, property, value); },
});

const unavailable = cameraUnavailableReason();
if (unavailable) show('failed', text('status.failed', { reason: unavailable }));
else show('idle', idleText());
fetch(new URL('status', window.location.href), { cache: 'no-store' })
  .then((res) => (res.ok ? res.json() : null))
  .then((status) => {
    if (!status || run) return;
    audio = status.audio === true;
    applyMode(status.mode);
    devices.configure(status);
  })
  .catch(() => { /* the hello says it too */ });
