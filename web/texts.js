// Every word the page shows, from one table: texts.json, which a deployment replaces with rtfx-launch --page-texts
// FILE.json (docs/page-texts.md; the server fills in the keys such a file leaves out). text(key, values) looks one
// up and fills its {name} placeholders; the HTML names its texts with data-text="key" (the element's text) and
// data-text-aria-label="key" (its aria-label), which loadTexts() fills in.

let table = {};

/** Fetches the table and fills in the HTML. A table that cannot be had leaves each text as its key. */
export async function loadTexts(url = new URL('texts.json', window.location.href)) {
  try {
    const res = await fetch(url, { cache: 'no-cache' });
    const loaded = res.ok ? await res.json() : null;
    if (loaded && typeof loaded === 'object' && !Array.isArray(loaded)) table = loaded;
    else console.warn(`rtfx: no page texts (GET ${url} answered ${res.status})`);
  } catch (err) {
    console.warn('rtfx: no page texts:', err);
  }
  document.documentElement.lang = text('page.lang');
  for (const node of document.querySelectorAll('[data-text]')) node.textContent = text(node.dataset.text);
  for (const node of document.querySelectorAll('[data-text-aria-label]')) {
    node.setAttribute('aria-label', text(node.dataset.textAriaLabel));
  }
}

/** The text of key, each {name} in it replaced by values[name]; a placeholder without a value stays as it is. */
export function text(key, values = {}) {
  const template = Object.hasOwn(table, key) && typeof table[key] === 'string' ? table[key] : key;
  return template.replace(/\{([\w-]+)\}/g, (whole, name) => (Object.hasOwn(values, name) ? String(values[name]) : whole));
}
