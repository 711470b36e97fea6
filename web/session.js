// The camera (and microphone) and the RTCPeerConnection of one session. Knows nothing about the websocket: main.js passes
// the offer, the answer and the candidates between this and signaling.js.

import { text } from './texts.js';

/** Why the camera cannot be used, as a sentence for the person in front of it; null when it can be tried. */
export function cameraUnavailableReason() {
  if (navigator.mediaDevices?.getUserMedia) return null;
  if (!window.isSecureContext) {
    const port = window.location.port ? `:${window.location.port}` : '';
    return text('error.insecure', { origin: window.location.origin, port });
  }
  return text('error.no-camera-api');
}

/**
 * Whether the browser says the camera (and the microphone, withMicrophone) may be opened without asking the person:
 * true only when the Permissions API answers 'granted' for each. Browsers that cannot say answer false.
 */
export async function cameraAllowed(withMicrophone) {
  const names = withMicrophone ? ['camera', 'microphone'] : ['camera'];
  try {
    const states = await Promise.all(names.map((name) => navigator.permissions.query({ name })));
    return states.every((s) => s.state === 'granted');
  } catch {
    return false;
  }
}

/**
 * Opens the camera, and the microphone when constraints.audio asks for it (devices.js makes the constraints: the
 * chosen devices, the picture size and rate). Without a microphone that works, the camera alone (the stream then has
 * no audio track). Rejects with a sentence a person can act on.
 */
export async function openCamera(constraints) {
  const reason = cameraUnavailableReason();
  if (reason) throw new Error(reason);
  if (typeof RTCPeerConnection !== 'function') throw new Error(text('error.no-webrtc'));
  const withMicrophone = Boolean(constraints.audio);
  try {
    return await navigator.mediaDevices.getUserMedia(constraints);
  } catch (err) {
    // A refusal is the person's answer for both; a device missing or busy may be the microphone only.
    if (withMicrophone && ['NotFoundError', 'NotReadableError', 'OverconstrainedError'].includes(err?.name)) {
      return openCamera({ ...constraints, audio: false });
    }
    throw new Error(cameraErrorText(err, withMicrophone ? 'camera-microphone' : 'camera'));
  }
}

// getUserMedia's errors, by the last part of their text's key (texts.json: camera.* and camera-microphone.*).
const CAMERA_ERRORS = {
  NotAllowedError: 'refused',
  NotFoundError: 'not-found',
  OverconstrainedError: 'not-found',
  NotReadableError: 'busy',
  AbortError: 'busy',
  SecurityError: 'blocked',
};

function cameraErrorText(err, devices) {
  const kind = Object.hasOwn(CAMERA_ERRORS, err?.name) ? CAMERA_ERRORS[err.name] : 'other';
  return text(`${devices}.${kind}`, { error: err?.message || err?.name || String(err) });
}

/** Puts VP8 first (rtfx-launch's native codec) and keeps every other codec as a fallback. */
function preferVp8(transceiver) {
  if (typeof transceiver.setCodecPreferences !== 'function' || !RTCRtpReceiver.getCapabilities) return;
  const codecs = RTCRtpReceiver.getCapabilities('video')?.codecs ?? [];
  const isVp8 = (c) => c.mimeType.toLowerCase() === 'video/vp8';
  if (!codecs.some(isVp8)) return;
  try {
    transceiver.setCodecPreferences([...codecs.filter(isVp8), ...codecs.filter((c) => !isVp8(c))]);
  } catch (err) {
    console.warn('rtfx: keeping the browser\'s codec order:', err);
  }
}

export class Session {
  /**
   * The camera's track joins later (setCamera): the offer does not need it, so it can be made while the camera opens.
   * @param {object} on  callbacks: candidate({candidate, sdpMLineIndex}), remote(MediaStream, kind) for each track
   *   the server sends ('video' or 'audio'), connected(), interrupted(), failed(reason, code) (code 'ice-failed'
   *   when no network path works, else undefined), data(text) for each data
   *   channel message
   * @param {RTCIceServer[]} iceServers  STUN/TURN servers, from the server's hello
   * @param {string} mode  the server's, from its hello: sendrecv, sendonly (no video comes back) or recvonly (no
   *   camera goes out)
   * @param {boolean} audio  the server's, from its hello: the microphone goes out as the camera does, and in
   *   sendrecv comes back
   */
  constructor(on, iceServers = [], mode = 'sendrecv', audio = false) {
    this.on = on;
    this.hasRemote = false;
    this.hasLocal = false;
    // Connected means the server's video has arrived, except where none comes, and the camera's goes out, except
    // where none goes (the offer may go before the camera has opened).
    this.expectsRemote = mode !== 'sendonly';
    this.expectsLocal = mode !== 'recvonly';
    this.isConnected = false;
    this.isInterrupted = false;
    // Answer and remote candidates are applied strictly in arrival order, each after the previous one.
    this.queue = Promise.resolve();
    this.pc = new RTCPeerConnection({ iceServers });
    this.transceiver = this.pc.addTransceiver('video', { direction: mode });
    preferVp8(this.transceiver);
    // After the video, as the server builds them. Browsers offer Opus first, which is what the server takes.
    this.audioTransceiver = audio ? this.pc.addTransceiver('audio', { direction: mode }) : null;
    // Created before the offer, so the offer carries it: the server sends what its chain finds on it.
    this.channel = this.pc.createDataChannel('rtfx');
    this.channel.addEventListener('message', (ev) => {
      if (typeof ev.data === 'string') this.on?.data?.(ev.data);
    });

    this.pc.addEventListener('icecandidate', (ev) => {
      // null, or an empty candidate, marks the end of gathering: the server needs neither.
      if (ev.candidate?.candidate) {
        this.on?.candidate({ candidate: ev.candidate.candidate, sdpMLineIndex: ev.candidate.sdpMLineIndex });
      }
    });
    this.pc.addEventListener('track', (ev) => {
      // The server's answer may carry no msid, and then the track comes without a stream.
      this.on?.remote(ev.streams[0] ?? new MediaStream([ev.track]), ev.track.kind);
      if (ev.track.kind !== 'video') return;
      this.hasRemote = true;
      this.#update();
    });
    // connectionState covers ICE and DTLS; browsers without it only have iceConnectionState.
    const event = 'connectionState' in this.pc ? 'connectionstatechange' : 'iceconnectionstatechange';
    this.pc.addEventListener(event, () => this.#update());
  }

  /** Creates the offer and applies it locally; resolves with its SDP. */
  async createOffer() {
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer);
    return this.pc.localDescription.sdp;
  }

  /** Sends the camera's video (a MediaStream), and its microphone's sound if the session takes it. */
  async setCamera(stream) {
    const microphone = stream.getAudioTracks()[0];
    await Promise.all([
      this.transceiver.sender.replaceTrack(stream.getVideoTracks()[0]),
      ...(this.audioTransceiver && microphone ? [this.audioTransceiver.sender.replaceTrack(microphone)] : []),
    ]);
    this.hasLocal = true;
    this.#update();
  }

  applyAnswer(sdp) {
    return this.#enqueue(async () => {
      await this.pc.setRemoteDescription({ type: 'answer', sdp });
      for (const [kind, t] of [['video', this.transceiver], ['audio', this.audioTransceiver]]) {
        if (t && t.currentDirection !== t.direction) {
          this.#fail(text('error.answer-mode', { kind, got: t.currentDirection, want: t.direction }));
          return;
        }
      }
    }, 'error.answer');
  }

  addRemoteCandidate(candidate, sdpMLineIndex) {
    // A single bad candidate is not fatal: others may still connect.
    return this.#enqueue(() => this.pc.addIceCandidate({ candidate, sdpMLineIndex }), null);
  }

  close() {
    this.on = null;
    this.pc.close();
  }

  /** Runs step after the previous ones; its failure ends the session with the text of fatalKey, if given. */
  #enqueue(step, fatalKey) {
    this.queue = this.queue.then(step).catch((err) => {
      if (fatalKey) {
        this.#fail(text(fatalKey, { error: err.message }));
      } else {
        console.warn('rtfx: ignoring a remote candidate:', err);
      }
    });
    return this.queue;
  }

  #state() {
    return 'connectionState' in this.pc ? this.pc.connectionState : this.pc.iceConnectionState;
  }

  #update() {
    if (!this.on) return;
    switch (this.#state()) {
      case 'connected':
      case 'completed':
        if ((this.hasRemote || !this.expectsRemote) && (this.hasLocal || !this.expectsLocal) &&
            (!this.isConnected || this.isInterrupted)) {
          this.isConnected = true;
          this.isInterrupted = false;
          this.on.connected();
        }
        break;
      case 'disconnected':
        // Often recovers by itself; the browser moves on to "failed" if it does not.
        if (this.isConnected && !this.isInterrupted) {
          this.isInterrupted = true;
          this.on.interrupted();
        }
        break;
      case 'failed':
        this.#fail(text('error.ice-failed'), 'ice-failed');
        break;
      default:
        break;
    }
  }

  #fail(reason, code = undefined) {
    const on = this.on;
    this.on = null;
    on?.failed(reason, code);
  }
}
