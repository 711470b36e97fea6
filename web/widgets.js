// One form widget per control of the server's schema (docs/protocol.md, "Live controls and presets"): builds
// it with its label and help, shows a value, and reports what the person chose. Sends nothing itself:
// controls.js decides what goes to the server and when.
//
// Every string from the server goes in as text (textContent, attributes), never as HTML.

// A slider across a wider range cannot land on a chosen value (int64 ranges, G_MAXINT maxima): a number input.
const MAX_SLIDER_SPAN = 100000;
// A slider of doubles gets about this many steps across its range.
const SLIDER_STEPS = 1000;

let serial = 0;

/**
 * @param {object} control  one entry of a `controls` message's `controls`
 * @param {object} on  preview(value) while a slider moves, commit(value) for a value chosen, revert() when the
 *   input holds nothing usable (an emptied number field): show the value in force again
 * @returns {{row: HTMLElement, show(value), error(text), focus()} | null}  null for a type this page does not know
 */
export function createWidget(control, on) {
  const build = Object.hasOwn(builders, control.type) ? builders[control.type] : null;
  if (!build) return null;
  const id = `control-${++serial}`;
  const row = el('div', { class: `control control-${control.type}` });
  const help = el('p', { class: 'help', id: `${id}-help` }, control.blurb ? String(control.blurb) : '');
  const error = el('p', { class: 'control-error', id: `${id}-error`, role: 'alert', hidden: '' });
  const label = nickOf(control);
  const parts = build(control, id, label, on);
  // The widget that carries the value names its control, for the end-to-end tests.
  parts.input.dataset.element = String(control.element);
  parts.input.dataset.property = String(control.property);
  for (const i of parts.described ?? [parts.input]) i.setAttribute('aria-describedby', `${help.id} ${error.id}`);
  // The error right under the widget it is about, before the help.
  row.append(...parts.nodes, error, help);
  help.hidden = !help.textContent;
  parts.show(control.value);
  return {
    row,
    show: parts.show,
    focus: () => (parts.focusable ?? parts.input).focus(),
    error(text) {
      error.textContent = text ?? '';
      error.hidden = !text;
      row.classList.toggle('has-error', Boolean(text));
    },
  };
}

function nickOf(control) {
  return String(control.nick || control.property || '');
}

/** An element with attributes (strings) and optional text. */
function el(tag, attrs = {}, text = null) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== null) node.textContent = text;
  return node;
}

const builders = {
  int: numeric,
  double: numeric,
  boolean: checkbox,
  enum: choice,
  flags: flags,
  string: text,
};

// --- numbers -------------------------------------------------------------------------------------------------

function sliderRange(c) {
  const { minimum: min, maximum: max } = c;
  if (!Number.isFinite(min) || !Number.isFinite(max) || !(max > min) || max - min > MAX_SLIDER_SPAN) return null;
  return { min, max };
}

function onGrid(v, min, step) {
  if (!Number.isFinite(v)) return true;
  const n = (v - min) / step;
  return Math.abs(n - Math.round(n)) < 1e-6;
}

/**
 * The slider's step: 1 for integers; for doubles a round number (1, 2 or 5 × 10^k) near 1/1000 of the range,
 * made finer when the maximum, the default or the value would fall between steps (a slider snaps to its grid,
 * and End must reach the maximum).
 */
function sliderStep(c, { min, max }) {
  if (c.type === 'int') return 1;
  const raw = (max - min) / SLIDER_STEPS;
  let exp = Math.floor(Math.log10(raw));
  const mantissas = [5, 2, 1];
  let m = mantissas.findIndex((x) => x * 10 ** exp <= raw * (1 + 1e-9));
  if (m < 0) { m = 0; exp--; }
  const base = Number((mantissas[m] * 10 ** exp).toPrecision(1));
  for (let tries = 0; tries < 12; tries++) {
    const step = Number((mantissas[m] * 10 ** exp).toPrecision(1));
    if ([max, c.default, c.value].every((v) => onGrid(v, min, step))) return step;
    if (++m === mantissas.length) { m = 0; exp--; }
  }
  return base;
}

function decimalsOf(step) {
  return step >= 1 ? 0 : Math.min(12, Math.ceil(-Math.log10(step) - 1e-9));
}

/** A value as a person reads it: floats come as doubles (0.1f is 0.10000000149011612), seven digits show it. */
function formatNumber(v, type) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '';
  return type === 'int' ? String(v) : String(Number(v.toPrecision(7)));
}

/** A typed number, or null for nothing usable. Integers stay integers: the server refuses 2.5 for an int itself. */
function typedNumber(input) {
  if (input.value.trim() === '') return null;
  const v = Number(input.value);
  return Number.isFinite(v) ? v : null;
}

function numeric(c, id, label, on) {
  const range = sliderRange(c);
  return range ? slider(c, id, label, on, range) : numberOnly(c, id, label, on);
}

function slider(c, id, label, on, range) {
  const step = sliderStep(c, range);
  const decimals = decimalsOf(step);
  const labelEl = el('label', { for: id, id: `${id}-label` }, label);
  const input = el('input', {
    type: 'range', id, min: String(range.min), max: String(range.max), step: String(step),
  });
  // The readout can be typed into: a slider alone cannot reach one exact value on a phone.
  const number = el('input', {
    type: 'number', id: `${id}-number`, class: 'readout', min: String(range.min), max: String(range.max),
    step: String(step), inputmode: c.type === 'int' ? 'numeric' : 'decimal', 'aria-labelledby': `${id}-label`,
  });
  const box = el('div', { class: 'slider' });
  box.append(input, number);
  // The slider's own value string can be 0.30000000000000004: round it to the grid's decimals.
  const sliderValue = () => Number(Number(input.value).toFixed(decimals));
  input.addEventListener('input', () => {
    const v = sliderValue();
    number.value = formatNumber(v, c.type);
    on.preview(v);
  });
  input.addEventListener('change', () => on.commit(sliderValue()));
  number.addEventListener('change', () => {
    const v = typedNumber(number);
    if (v === null) on.revert();
    else on.commit(v);
  });
  return {
    nodes: [labelEl, box], input, described: [input, number],
    show(v) {
      if (typeof v !== 'number') return;
      input.value = String(v);
      number.value = formatNumber(v, c.type);
    },
  };
}

function numberOnly(c, id, label, on) {
  const attrs = {
    type: 'number', id, class: 'number', step: c.type === 'int' ? '1' : 'any',
    inputmode: c.type === 'int' ? 'numeric' : 'decimal',
  };
  if (Number.isFinite(c.minimum)) attrs.min = String(c.minimum);
  if (Number.isFinite(c.maximum)) attrs.max = String(c.maximum);
  const input = el('input', attrs);
  input.addEventListener('change', () => {
    const v = typedNumber(input);
    if (v === null) on.revert();
    else on.commit(v);
  });
  return {
    nodes: [el('label', { for: id }, label), input], input,
    show(v) { input.value = formatNumber(v, c.type); },
  };
}

// --- the others ----------------------------------------------------------------------------------------------

function checkbox(c, id, label, on) {
  const input = el('input', { type: 'checkbox', id });
  const labelEl = el('label', { for: id, class: 'check' });
  labelEl.append(input, document.createTextNode(label));
  input.addEventListener('change', () => on.commit(input.checked));
  return {
    nodes: [labelEl], input,
    show(v) { if (typeof v === 'boolean') input.checked = v; },
  };
}

function valuesOf(c) {
  return (Array.isArray(c.values) ? c.values : [])
    .filter((v) => v && typeof v.nick === 'string')
    .map((v) => ({ nick: v.nick, name: String(v.name || v.nick) }));
}

function choice(c, id, label, on) {
  const input = el('select', { id });
  for (const v of valuesOf(c)) input.append(el('option', { value: v.nick }, v.name));
  input.addEventListener('change', () => on.commit(input.value));
  return {
    nodes: [el('label', { for: id }, label), input], input,
    show(v) { if (typeof v === 'string') input.value = v; },
  };
}

/** Flags: a group of checkboxes. The group (a fieldset) carries data-element and data-property. */
function flags(c, id, label, on) {
  const group = el('fieldset', { id, class: 'flags', 'aria-label': label });
  group.append(el('legend', {}, label));
  const boxes = valuesOf(c).map((v, i) => {
    const box = el('input', { type: 'checkbox', id: `${id}-${i}`, value: v.nick });
    const l = el('label', { for: box.id, class: 'check' });
    l.append(box, document.createTextNode(v.name));
    group.append(l);
    return box;
  });
  group.addEventListener('change', () => on.commit(boxes.filter((b) => b.checked).map((b) => b.value)));
  return {
    nodes: [group], input: group, described: [group], focusable: boxes[0] ?? group,
    show(v) {
      if (!Array.isArray(v)) return;
      for (const b of boxes) b.checked = v.includes(b.value);
    },
  };
}

function text(c, id, label, on) {
  const input = el('input', { type: 'text', id, autocomplete: 'off', spellcheck: 'false', enterkeyhint: 'done' });
  let committed = null;
  const commit = () => {
    if (input.value === committed) return;
    committed = input.value;
    on.commit(input.value);
  };
  // change comes on Enter and on leaving the field; Enter is also caught here for browsers that wait for blur.
  input.addEventListener('change', commit);
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.isComposing) commit();
  });
  return {
    nodes: [el('label', { for: id }, label), input], input,
    show(v) {
      if (typeof v !== 'string') return;
      input.value = v;
      committed = v;
    },
  };
}
