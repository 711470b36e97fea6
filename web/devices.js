// The camera and microphone pickers, the picture size and frame rate, the front/back switch and the camera on/off
// switch (docs/devices.md). Before Start they only choose what Start opens; while a session sends, each change goes to
// the same peer connection with RTCRtpSender.replaceTrack (or, for the size and rate, applyConstraints on the track in
// use): no new offer, so the server's session and its settings stay. The chosen devices are remembered in
// localStorage; the size and rate start at the server's defaults (--video-size, --video-fps: hello and GET /status).
// Its texts are texts.json's devices.* (texts.js).
//
// Test contract (with main.js's):
//   #devices             the section; hidden when the server runs --mode recvonly (no camera is used). Its
//                        data-camera is "on" or "off" (the camera toggle's state while a session sends).
//   #camera, #microphone <select>s of the devices, value = the deviceId in use (or to use at Start). #microphone's
//                        row (#microphone-row) is shown only when the server takes the microphone (--audio).
//   #video-size          <select>, values "WIDTHxHEIGHT" (320x240, 640x480, 1280x720, and the server's default).
//   #video-fps           <select>, values "15", "30" (and the server's default).
//   #camera-toggle       <button>: turns the camera's picture off (the track is disabled: the browser sends black
//                        frames about once a second, so the session stays) and on again; disabled without a session.
//   #facing              <button>, shown when the camera says which way it faces (phones): the other one.
//   #devices-error       role="alert", a sentence when a change could not be made (the previous device stays).

import { text } from './texts.js';

const SIZES = [[320, 240], [640, 480], [1280, 720]];
const RATES = [15, 30];
const STORED = { camera: 'rtfx.camera', microphone: 'rtfx.microphone' };
// Each kind's texts (texts.json): a device the browser gives no name, the one entry before permission, a failed switch.
const KIND_TEXTS = {
  camera: { unnamed: 'devices.unnamed-camera', fallback: 'devices.default-camera', failed: 'devices.camera-failed' },
  microphone: { unnamed: 'devices.unnamed-microphone', fallback: 'devices.default-microphone',
    failed: 'devices.microphone-failed' },
};
// A phone opens one camera at a time: these mean "busy", and the old one must close first.
const BUSY_ERRORS = ['NotReadableError', 'AbortError'];
// Frames a second the sender sends while the camera is off (black ones).
const OFF_FPS = 1;

function remembered(key) {
  try {
    return localStorage.getItem(STORED[key]) || '';
  } catch {
    return '';   // storage refused (a privacy mode): nothing is remembered
  }
}

function remember(key, deviceId) {
  try {
    if (deviceId) localStorage.setItem(STORED[key], deviceId);
  } catch { /* see remembered() */ }
}

function option(value, label) {
  const o = document.createElement('option');
  o.value = value;
  o.textContent = label;
  return o;
}

export class Devices {
  /**
   * @param {HTMLElement} root  #devices
   * @param {HTMLVideoElement} preview  the local camera's <video>, shown the stream again after a switch
   */
  constructor(root, preview) {
    this.root = root;
    this.preview = preview;
    this.ui = {
      camera: root.querySelector('#camera'),
      microphone: root.querySelector('#microphone'),
      microphoneRow: root.querySelector('#microphone-row'),
      size: root.querySelector('#video-size'),
      fps: root.querySelector('#video-fps'),
      toggle: root.querySelector('#camera-toggle'),
      facing: root.querySelector('#facing'),
      error: root.querySelector('#devices-error'),
    };
    // No camera API (an insecure origin): main.js says why, and there is nothing to choose.
    root.hidden = !navigator.mediaDevices?.getUserMedia;
    // The server's defaults, until GET /status or hello says otherwise; the person's choice of this page, if any.
    this.defaults = { width: 640, height: 480, fps: 30 };
    this.chosen = { size: null, fps: null };
    // The size and rate Start last asked the camera for ("WIDTHxHEIGHT@FPS").
    this.opened = '';
    // While a session sends: its MediaStream (the preview's; release() in main.js stops what it holds) and Session.
    this.stream = null;
    this.session = null;
    this.cameraOn = true;
    // Changes run one after the other: a second pick waits for the first camera to open.
    this.queue = Promise.resolve();
    this.#fillSizes();
    this.#showCamera();

    this.ui.camera.addEventListener('change', () => this.#pick('camera', this.ui.camera.value));
    this.ui.microphone.addEventListener('change', () => this.#pick('microphone', this.ui.microphone.value));
    this.ui.size.addEventListener('change', () => this.#pickSize());
    this.ui.fps.addEventListener('change', () => this.#pickSize());
    this.ui.toggle.addEventListener('click', () => this.#toggle());
    this.ui.facing.addEventListener('click', () => this.#flip());
    navigator.mediaDevices?.addEventListener?.('devicechange', () => this.refresh());
    this.refresh();
  }

  /** What the server says (GET /status, hello): its mode, whether it takes the microphone, its video defaults. */
  configure({ mode, audio, video }) {
    this.root.hidden = mode === 'recvonly' || !navigator.mediaDevices?.getUserMedia;
    this.ui.microphoneRow.hidden = audio !== true;
    const ok = (v, max) => Number.isInteger(v) && v > 0 && v <= max;
    if (video && ok(video.width, 4096) && ok(video.height, 4096) && ok(video.fps, 60)) {
      this.defaults = { width: video.width, height: video.height, fps: video.fps };
      this.#fillSizes();
    }
  }

  /** getUserMedia constraints for Start: the chosen (or remembered) devices at the chosen (or default) size. */
  constraints(withMicrophone) {
    const microphone = this.#startDevice(this.ui.microphone, 'microphone');
    const chosen = microphone.exact || microphone.ideal ? { deviceId: microphone } : {};
    this.opened = this.#selected();
    // Echo cancellation: the server's sound comes back out of the speakers.
    return {
      audio: withMicrophone ? { echoCancellation: true, ...chosen } : false,
      video: this.#video(this.#startDevice(this.ui.camera, 'camera')),
    };
  }

  /**
   * The device Start asks for: exactly the one selected when the browser lists it (an ideal one is not always honoured:
   * Chromium's automatic permission takes the first camera); before permission, when the browser lists no ids, the
   * remembered one as ideal.
   */
  #startDevice(select, key) {
    if (select.value) return { exact: select.value };
    const id = remembered(key);
    return id ? { ideal: id } : {};
  }

  /** A session now sends stream through session (its senders): changes go to them from here on. */
  attach(stream, session) {
    this.stream = stream;
    this.session = session;
    this.cameraOn = true;
    this.#error(null);
    const track = stream.getVideoTracks()[0];
    if (track) this.#prepare(track);
    // The camera opened before hello came with other defaults (the server restarted since the page loaded).
    if (track && this.opened !== this.#selected()) this.#enqueue('devices.size-failed', () => this.#applySize());
    // When the path or the CPU is short, a lower frame rate rather than a smaller picture: the server's processing
    // (edges, faces) works on the size it receives (docs/devices.md says which browsers do it).
    this.#setParameters((params) => { params.degradationPreference = 'maintain-resolution'; });
    this.#showCamera();
    this.refresh();
  }

  /** The session is over: its tracks are someone else's to stop. */
  detach() {
    this.stream = null;
    this.session = null;
    this.cameraOn = true;
    this.#showCamera();
  }

  /** Lists the devices again (labels come once the camera is allowed) and shows the ones in use. */
  async refresh() {
    let list;
    try {
      list = await navigator.mediaDevices.enumerateDevices();
    } catch {
      return;   // no camera API here: main.js says so
    }
    this.#fillDevices(this.ui.camera, list.filter((d) => d.kind === 'videoinput'), 'camera',
      this.stream?.getVideoTracks()[0]);
    this.#fillDevices(this.ui.microphone, list.filter((d) => d.kind === 'audioinput'), 'microphone',
      this.stream?.getAudioTracks()[0]);
    this.#showCamera();
  }

  #fillDevices(select, devices, key, track) {
    const inUse = track?.getSettings().deviceId ?? '';
    const wanted = inUse || select.value || remembered(key);
    // Before permission a browser lists one device of each kind with no id and no label.
    const options = devices.filter((d) => d.deviceId)
      .map((d, i) => option(d.deviceId, d.label || text(KIND_TEXTS[key].unnamed, { n: i + 1 })));
    select.replaceChildren(...(options.length ? options : [option('', text(KIND_TEXTS[key].fallback))]));
    if (options.some((o) => o.value === wanted)) select.value = wanted;
  }

  #fillSizes() {
    const { width, height, fps } = this.defaults;
    const sizes = SIZES.some(([w, h]) => w === width && h === height) ? SIZES : [...SIZES, [width, height]];
    this.ui.size.replaceChildren(...sizes.map(([w, h]) => {
      const label = text('devices.size-option', { width: w, height: h });
      const isDefault = w === width && h === height;
      return option(`${w}x${h}`, isDefault ? text('devices.server-default', { option: label }) : label);
    }));
    const rates = RATES.includes(fps) ? RATES : [...RATES, fps].sort((a, b) => a - b);
    this.ui.fps.replaceChildren(...rates.map((r) => {
      const label = text('devices.fps-option', { fps: r });
      return option(String(r), r === fps ? text('devices.server-default', { option: label }) : label);
    }));
    this.ui.size.value = this.chosen.size ?? `${width}x${height}`;
    this.ui.fps.value = this.chosen.fps ?? String(fps);
  }

  #selected() {
    return `${this.ui.size.value}@${this.ui.fps.value}`;
  }

  /** Video constraints at the selected size and rate; deviceId as given ({ideal} or {exact}), or facingMode. */
  #video(deviceId, facingMode = null) {
    const [width, height] = this.ui.size.value.split('x').map(Number);
    const video = { width: { ideal: width }, height: { ideal: height },
      frameRate: { ideal: Number(this.ui.fps.value) } };
    if (facingMode) video.facingMode = { exact: facingMode };
    else if (deviceId.ideal || deviceId.exact) video.deviceId = deviceId;
    return video;
  }

  #pick(key, deviceId) {
    // While a session sends, a device is remembered once it is in use.
    if (!this.stream) {
      remember(key, deviceId);
      return;
    }
    this.#enqueue(KIND_TEXTS[key].failed, () => (key === 'camera'
      ? this.#replace('video', this.#video({ exact: deviceId }))
      : this.#replace('audio', { echoCancellation: true, deviceId: { exact: deviceId } })));
  }

  #pickSize() {
    this.chosen = { size: this.ui.size.value, fps: this.ui.fps.value };
    if (this.stream) this.#enqueue('devices.size-failed', () => this.#applySize());
  }

  /** The selected size and rate on the track being sent. */
  async #applySize() {
    const track = this.stream?.getVideoTracks()[0];
    if (!track) return;
    const [width, height] = this.ui.size.value.split('x').map(Number);
    const before = track.getSettings();
    try {
      await track.applyConstraints({ width: { ideal: width }, height: { ideal: height },
        frameRate: { ideal: Number(this.ui.fps.value) } });
      // The nearest size the camera has counts; a track left as it was does not.
      const now = track.getSettings();
      const reached = now.width === width && now.height === height;
      if (reached || now.width !== before.width || now.height !== before.height) return;
    } catch (err) {
      console.info('rtfx: applyConstraints refused:', err);
    }
    // This browser (or camera) did not change the running track (Firefox's fake camera keeps its size): the same
    // camera, opened again at the new size.
    await this.#replace('video', this.#video({ exact: track.getSettings().deviceId }));
  }

  /** Front to back or back to front, on a camera that says which way it faces. */
  #flip() {
    const track = this.stream?.getVideoTracks()[0];
    const facing = track?.getSettings().facingMode;
    if (!facing) return;
    this.#enqueue('devices.camera-failed', async () => {
      await this.#replace('video', this.#video({}, facing === 'environment' ? 'user' : 'environment'));
      remember('camera', this.stream?.getVideoTracks()[0]?.getSettings().deviceId);
    });
  }

  /**
   * Off: the track is disabled (the browser sends black frames, and may turn the camera's light off) and the sender
   * sends at most one a second, so the server's --peer-timeout still sees video and the session stays; on: as before.
   */
  #toggle() {
    if (!this.stream?.getVideoTracks()[0]) return;
    this.cameraOn = !this.cameraOn;
    this.#showCamera();
    this.#enqueue('devices.camera-failed', async () => {
      const track = this.stream?.getVideoTracks()[0];
      if (!track) return;
      track.enabled = this.cameraOn;
      await this.#setParameters((params) => {
        for (const encoding of params.encodings ?? []) {
          if (this.cameraOn) delete encoding.maxFramerate;
          else encoding.maxFramerate = OFF_FPS;
        }
      });
    });
  }

  /** Runs change after the ones before it; if it fails, #devices-error says so with the text failedKey. */
  #enqueue(failedKey, change) {
    this.#error(null);
    this.queue = this.queue.then(change).catch((err) => {
      this.#error(text(failedKey, { error: err?.message || err?.name || String(err) }));
    }).finally(() => this.refresh());
  }

  /**
   * Opens a new track of kind ('video' or 'audio') with constraints and puts it in place of the one the session
   * sends: on the sender, in the stream (which the preview shows and main.js stops at the end).
   */
  async #replace(kind, constraints) {
    const { stream, session } = this;
    if (!stream) return;
    const old = kind === 'video' ? stream.getVideoTracks()[0] : stream.getAudioTracks()[0];
    const sender = kind === 'video' ? session.transceiver.sender : session.audioTransceiver?.sender;
    if (!sender) return;
    let opened;
    try {
      opened = await navigator.mediaDevices.getUserMedia({ [kind]: constraints });
    } catch (err) {
      if (!old || !BUSY_ERRORS.includes(err?.name)) throw err;
      old.stop();
      opened = await navigator.mediaDevices.getUserMedia({ [kind]: constraints });
    }
    const track = kind === 'video' ? opened.getVideoTracks()[0] : opened.getAudioTracks()[0];
    // Stop pressed meanwhile: the new track is nobody's.
    if (this.stream !== stream) {
      track.stop();
      return;
    }
    if (kind === 'video') this.#prepare(track);
    await sender.replaceTrack(track);
    if (this.stream !== stream) {
      track.stop();
      return;
    }
    if (old) {
      stream.removeTrack(old);
      old.stop();
    }
    stream.addTrack(track);
    if (kind === 'video') {
      this.preview.srcObject = stream;
      this.#showCamera();
    }
    remember(kind === 'video' ? 'camera' : 'microphone', track.getSettings().deviceId);
  }

  /** A video track about to be sent: on or off as the toggle says; its detail matters more than its motion. */
  #prepare(track) {
    track.enabled = this.cameraOn;
    if ('contentHint' in track) track.contentHint = 'detail';
  }

  /** Changes the video sender's parameters with change(params); a browser that refuses keeps its own. */
  async #setParameters(change) {
    const sender = this.session?.transceiver.sender;
    if (!sender) return;
    try {
      const params = sender.getParameters();
      change(params);
      await sender.setParameters(params);
    } catch (err) {
      console.info('rtfx: the browser keeps its own sending parameters:', err);
    }
  }

  #showCamera() {
    const track = this.stream?.getVideoTracks()[0];
    this.root.dataset.camera = this.cameraOn ? 'on' : 'off';
    this.ui.toggle.disabled = !track;
    this.ui.toggle.textContent = text(this.cameraOn ? 'devices.camera-off' : 'devices.camera-on');
    const facing = track?.getSettings().facingMode;
    // Only where there is another camera to face the other way.
    this.ui.facing.hidden = !facing || this.ui.camera.options.length < 2;
    if (facing) {
      this.ui.facing.textContent = text(facing === 'environment' ? 'devices.facing-front' : 'devices.facing-back');
    }
  }

  #error(message) {
    this.ui.error.textContent = message ?? '';
    this.ui.error.hidden = !message;
  }
}
