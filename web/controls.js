// The control panel and the preset selector, built from the server's `controls` message alone
// (docs/protocol.md, "Live controls and presets"): one fieldset per element, one widget per property
// (widgets.js). Turns what the person does into `set` and `preset` messages, and the server's `value` and
// `error` replies back into what the widgets show: always the value in force on the server.

import { createWidget } from './widgets.js';
import { text } from './texts.js';

// While a slider is dragged, at most one `set` per this many ms; the value it is let go at always goes out.
const SEND_INTERVAL_MS = 50;

const keyOf = (element, property) => JSON.stringify([String(element), String(property)]);
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

export class ControlPanel {
  /**
   * @param {object} ui  panel (the section shown once controls arrive), presetRow, preset (the <select>),
   *   presetError, list (#controls, gets the fieldsets), message (errors about controls no longer shown)
   * @param {function} send  sends one message object to the server; false when it cannot
   */
  constructor(ui, send) {
    this.ui = ui;
    this.send = send;
    /** The last `controls` message, or null. */
    this.schema = null;
    this.controls = new Map();
    this.presetPending = false;
    ui.preset.addEventListener('change', () => this.#choosePreset(ui.preset.value));
  }

  /** Builds the panel for a `controls` message, replacing whatever was there. */
  render(msg) {
    const focusKey = this.#focusedKey();
    const presetFocused = document.activeElement === this.ui.preset;
    this.#forget();
    this.schema = msg;
    this.presetPending = false;
    this.#error(this.ui.presetError, null);
    this.#error(this.ui.message, null);
    this.#renderPresets(msg);

    const groups = new Map();
    for (const spec of Array.isArray(msg.controls) ? msg.controls : []) {
      if (!spec || typeof spec.element !== 'string' || typeof spec.property !== 'string') continue;
      const ctl = this.#control(spec);
      if (!ctl) continue;
      if (!groups.has(spec.element)) groups.set(spec.element, group(spec.element));
      groups.get(spec.element).append(ctl.widget.row);
    }
    if (groups.size) {
      this.ui.list.replaceChildren(...groups.values());
    } else {
      const p = document.createElement('p');
      p.className = 'empty';
      p.textContent = text('panel.empty');
      this.ui.list.replaceChildren(p);
    }
    this.ui.panel.hidden = false;

    // A rebuilt panel must not drop the keyboard focus on the floor: the same control, else the selector.
    if ((focusKey !== null || presetFocused) && !this.ui.panel.contains(document.activeElement)) {
      const same = this.controls.get(focusKey);
      if (same) same.widget.focus();
      else if (!this.ui.presetRow.hidden) this.ui.preset.focus();
      else this.ui.list.querySelector('input, select')?.focus();
    }
  }

  /** A `value` reply: that value is now in force. */
  value(msg) {
    const ctl = this.controls.get(keyOf(msg.element, msg.property));
    if (!ctl) return;
    ctl.inForce = msg.value;
    this.#replied(ctl);
  }

  /**
   * An `error`: shown next to its control when it names one, beside the selector when it answers a preset
   * switch. Returns false for errors about anything else (main.js reports those).
   */
  claimError(msg) {
    const message = typeof msg.message === 'string' && msg.message ? msg.message : text('panel.refused');
    if (typeof msg.element === 'string' && typeof msg.property === 'string') {
      const ctl = this.controls.get(keyOf(msg.element, msg.property));
      if (ctl) {
        ctl.widget.error(message);
        this.#replied(ctl);
      } else {
        this.#error(this.ui.message, message);
      }
      return true;
    }
    if (this.presetPending) {
      this.presetPending = false;
      this.#error(this.ui.presetError, message);
      this.ui.preset.value = String(this.schema?.preset ?? '');
      return true;
    }
    return false;
  }

  /** Sends a `set` as the widgets do (window.rtfx.set uses it); false when there is no websocket to send it on. */
  set(element, property, value) {
    const ctl = this.controls.get(keyOf(element, property));
    if (!ctl) return this.send({ type: 'set', element, property, value });
    this.#cancelQueued(ctl);
    return this.#send(ctl, value);
  }

  /** Empties and hides everything: the session is over. */
  clear() {
    this.#forget();
    this.schema = null;
    this.presetPending = false;
    this.ui.list.replaceChildren();
    this.ui.preset.replaceChildren();
    this.#error(this.ui.presetError, null);
    this.#error(this.ui.message, null);
    this.ui.panel.hidden = true;
  }

  #renderPresets(msg) {
    const presets = (Array.isArray(msg.presets) ? msg.presets : []).filter((p) => typeof p === 'string');
    const current = typeof msg.preset === 'string' ? msg.preset : '';
    if (current && !presets.includes(current)) presets.unshift(current);
    this.ui.preset.replaceChildren(...presets.map((name) => {
      const o = document.createElement('option');
      o.value = name;
      o.textContent = name;
      return o;
    }));
    this.ui.preset.value = current;
    // One chain is nothing to choose from.
    this.ui.presetRow.hidden = presets.length < 2;
  }

  #choosePreset(name) {
    this.#error(this.ui.presetError, null);
    if (!this.send({ type: 'preset', name })) {
      this.ui.preset.value = String(this.schema?.preset ?? '');
      return;
    }
    // The new chain's `controls` rebuilds the panel; until then the old one stays usable.
    this.presetPending = true;
  }

  #control(spec) {
    const ctl = {
      spec, inForce: spec.value, pending: 0, lastSent: undefined, lastSentAt: -Infinity, timer: 0, queued: undefined,
    };
    ctl.widget = createWidget(spec, {
      preview: (v) => this.#sendSoon(ctl, v),
      commit: (v) => this.#sendFinal(ctl, v),
      revert: () => ctl.widget.show(ctl.inForce),
    });
    if (!ctl.widget) {
      console.warn('rtfx: no widget for a control of type', spec.type, spec);
      return null;
    }
    ctl.widget.row.dataset.key = keyOf(spec.element, spec.property);
    this.controls.set(keyOf(spec.element, spec.property), ctl);
    return ctl;
  }

  #send(ctl, value) {
    ctl.widget.error(null);
    const sent = this.send({ type: 'set', element: ctl.spec.element, property: ctl.spec.property, value });
    if (!sent) {
      if (ctl.pending === 0) ctl.widget.show(ctl.inForce);
      return false;
    }
    ctl.pending++;
    ctl.lastSent = value;
    ctl.lastSentAt = performance.now();
    return true;
  }

  /** While dragging: now if the last set is old enough, else the newest value when it is. */
  #sendSoon(ctl, value) {
    const wait = ctl.lastSentAt + SEND_INTERVAL_MS - performance.now();
    if (wait <= 0 && !ctl.timer) {
      if (!alreadySent(ctl, value)) this.#send(ctl, value);
      return;
    }
    ctl.queued = value;
    if (ctl.timer) return;
    ctl.timer = setTimeout(() => {
      const v = ctl.queued;
      this.#cancelQueued(ctl);
      this.#send(ctl, v);
    }, Math.max(0, wait));
  }

  /** The value chosen (slider let go, key pressed, field left): goes out unless it already has. */
  #sendFinal(ctl, value) {
    this.#cancelQueued(ctl);
    if (alreadySent(ctl, value)) return;
    this.#send(ctl, value);
  }

  #cancelQueued(ctl) {
    clearTimeout(ctl.timer);
    ctl.timer = 0;
    ctl.queued = undefined;
  }

  /** A reply to one set. The widget follows the server once no set of it is on its way or waiting. */
  #replied(ctl) {
    ctl.pending = Math.max(0, ctl.pending - 1);
    if (ctl.pending === 0 && !ctl.timer) ctl.widget.show(ctl.inForce);
  }

  #forget() {
    for (const ctl of this.controls.values()) this.#cancelQueued(ctl);
    this.controls.clear();
  }

  #focusedKey() {
    const row = document.activeElement?.closest?.('#controls .control');
    return row && this.ui.list.contains(row) ? row.dataset.key ?? null : null;
  }

  #error(node, words) {
    node.textContent = words ?? '';
    node.hidden = !words;
  }
}

/** Whether value was the last set of ctl and is still on its way or now in force: sending it again changes nothing. */
function alreadySent(ctl, value) {
  return same(value, ctl.lastSent) && (ctl.pending > 0 || same(value, ctl.inForce));
}

function group(element) {
  const fieldset = document.createElement('fieldset');
  fieldset.className = 'element';
  const legend = document.createElement('legend');
  legend.textContent = element;
  fieldset.append(legend);
  return fieldset;
}
