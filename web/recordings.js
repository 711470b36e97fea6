// The session's recordings (rtfx-launch --record-in, --record-out; docs/recording.md): the server names their
// download links at the start (`recording`), and says when one stops (`recording-failed`); once the session has
// ended the page offers each file it kept, as soon as the server has finished writing it.

import { text } from './texts.js';

// The two directions a session records (texts.json: recordings.in, recordings.out, recordings.link-*).
const DIRECTIONS = ['in', 'out'];
// The server finishes a file within about a second of the session's end; a link is asked about this often, this
// many times, before it is offered anyway.
const READY_POLL_MS = 300;
const READY_POLLS = 30;

const isFile = (f) => f && typeof f.url === 'string' && typeof f.name === 'string' && DIRECTIONS.includes(f.direction);

export class RecordingsView {
  /**
   * @param {HTMLElement} section  shown once an ended session has files, with a <ul> inside
   * @param {HTMLElement} error    where a recording that stopped is reported (hidden otherwise)
   */
  constructor(section, error) {
    this.section = section;
    this.error = error;
    this.files = [];
    this.failed = new Set();
    this.generation = 0;
  }

  /** A `recording` message: the session's files, offered when it ends. */
  offer(msg) {
    this.files = Array.isArray(msg.files) ? msg.files.filter(isFile) : [];
  }

  /** A `recording-failed` message: that file is not offered, and the page says why. */
  fail(msg) {
    const what = text(DIRECTIONS.includes(msg.direction) ? `recordings.${msg.direction}` : 'recordings.other');
    this.failed.add(msg.direction);
    this.error.textContent = typeof msg.reason === 'string' && msg.reason
      ? text('recordings.stopped-because', { what, reason: msg.reason.replace(/\.$/, '') })
      : text('recordings.stopped', { what });
    this.error.hidden = false;
  }

  /** The session has ended: lists the files it kept, each a download link once the server has finished it. */
  show() {
    const generation = this.generation;
    const list = this.section.querySelector('ul');
    list.replaceChildren();
    for (const file of this.files.filter((f) => !this.failed.has(f.direction))) {
      const item = document.createElement('li');
      const link = document.createElement('a');
      link.href = new URL(file.url, window.location.href).href;
      link.download = file.name;
      link.dataset.direction = file.direction;
      link.dataset.ready = 'false';
      link.textContent = text(`recordings.link-${file.direction}`, { name: file.name });
      const note = document.createElement('span');
      note.className = 'help';
      note.textContent = text('recordings.finishing');
      item.append(link, note);
      list.append(item);
      this.#whenReady(link, note, item, generation);
    }
    this.section.hidden = list.children.length === 0;
  }

  /** A new session: nothing offered, nothing reported. */
  clear() {
    this.generation++;
    this.files = [];
    this.failed.clear();
    this.section.querySelector('ul').replaceChildren();
    this.section.hidden = true;
    this.error.hidden = true;
    this.error.textContent = '';
  }

  async #whenReady(link, note, item, generation) {
    for (let i = 0; i < READY_POLLS && generation === this.generation; i++) {
      let status = 0;
      try {
        status = (await fetch(link.href, { method: 'HEAD', cache: 'no-store' })).status;
      } catch {
        // the server may be restarting: ask again
      }
      if (generation !== this.generation) return;
      if (status === 200) break;
      if (status === 404) {
        // Nothing was recorded (the session ended before its first frame), or the link has expired.
        item.remove();
        this.section.hidden = this.section.querySelector('ul').children.length === 0;
        return;
      }
      await new Promise((resolve) => { setTimeout(resolve, READY_POLL_MS); });
    }
    link.dataset.ready = 'true';
    note.remove();
  }
}
