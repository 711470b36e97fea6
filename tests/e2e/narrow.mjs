// The page as a phone and a keyboard see it, for the scenarios that check it (pagehelp.mjs's page-narrow,
// devices.mjs's devices-defaults): at 320 px wide nothing scrolls sideways and every visible control lies inside the
// window; every control in the browser's accessibility tree has a name; Tab reaches a control.
import { check, evaluate, log, withTimeout } from './lib.mjs';

// Viewport width the page must fit without scrolling sideways.
export const NARROW_PX = 320;
// Roles of the controls a person operates: each needs an accessible name.
const CONTROL_ROLES = ['button', 'slider', 'combobox', 'checkbox', 'spinbutton', 'textbox', 'listbox', 'radio'];
const MAX_TABS = 40;

/** The controls in the browser's accessibility tree, as "role: name", and those without a name. */
async function treeControls(page) {
  const tree = await withTimeout(page.accessibility.snapshot({ interestingOnly: false }), 5000,
    'accessibility snapshot');
  const found = { named: [], unnamed: [] };
  const walk = (node) => {
    if (CONTROL_ROLES.includes(node.role)) {
      if (node.name?.trim()) found.named.push(`${node.role}: ${node.name}`);
      else found.unnamed.push(node.role);
    }
    for (const child of node.children ?? []) walk(child);
  };
  walk(tree);
  return found;
}

/**
 * In a window NARROW_PX wide (the caller sets the viewport): no sideways scroll, no visible control past the right
 * edge, no control without a name, and each of `wanted` ("role: name") in the accessibility tree. Returns the named
 * controls.
 */
export async function checkNarrow(page, when, wanted = []) {
  const { scrollWidth, widest, outside } = await evaluate(page, () => {
    let w = null;
    for (const el of document.querySelectorAll('body *')) {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && (!w || r.right > w.right)) {
        w = { right: Math.round(r.right), what: el.id || el.className || el.tagName };
      }
    }
    const width = document.documentElement.clientWidth;
    const controls = [...document.querySelectorAll('button, select, input, textarea')]
      .filter((c) => c.getClientRects().length > 0);
    return { scrollWidth: document.documentElement.scrollWidth, widest: w,
      outside: controls.filter((c) => c.getBoundingClientRect().right > width).map((c) => c.id || c.tagName) };
  });
  log(`${when}: scrollWidth ${scrollWidth} at ${NARROW_PX} px (rightmost: ${JSON.stringify(widest)})`);
  check(scrollWidth <= NARROW_PX,
    `${when}: the page is ${scrollWidth} px wide at ${NARROW_PX} px (${JSON.stringify(widest)})`);
  check(outside.length === 0, `${when}: controls past the right edge: ${outside}`);
  const { named, unnamed } = await treeControls(page);
  log(`${when}: ${named.length} named controls (${named.join(', ')})`);
  check(unnamed.length === 0, `${when}: controls without a name: ${JSON.stringify(unnamed)}`);
  const missing = wanted.filter((w) => !named.includes(w));
  check(missing.length === 0, `${when}: the accessibility tree lacks ${missing.join(', ')}`);
  return named;
}

/** Presses Tab until the focus is on an element matching selector; returns how many presses it took. */
export async function tabTo(page, selector) {
  for (let n = 1; n <= MAX_TABS; n++) {
    await page.keyboard.press('Tab');
    if (await evaluate(page, (s) => document.activeElement?.matches(s) ?? false, selector)) return n;
  }
  throw new Error(`Tab did not reach ${selector} in ${MAX_TABS} presses`);
}
