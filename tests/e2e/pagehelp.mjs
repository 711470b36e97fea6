// The page as people use it (docs/deploy.md "When the page does not connect", docs/page-texts.md):
// `connect-help`: with every media packet dropped, the page explains after ?help-after= seconds what usually keeps a
// connection from coming (TURN, a VPN, a firewall) and how to fix it, and says the same in plain words when ICE fails;
// once the path is back, a Start whose camera takes longer than that to be allowed connects without the help. `page-texts`: --page-texts replaces a text
// (and the page's language), the keys its file leaves out keep the page's own, a key the page lacks is warned about,
// and bad files are refused with one line and status 2. `page-narrow`: at 320 px wide nothing scrolls sideways, every
// control in the browser's accessibility tree has a name (the device controls by their texts), and the keyboard alone
// starts a session, reaches the camera picker, changes the picture size, turns the camera off and on, reaches the
// preset selector and a slider and changes both, and stops it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  check, click, dropMedia, evaluate, launchBrowser, log, onCleanup, openPage, pageTimeline, pollUntil, recordSignaling,
  runToExit, signalingLog, startServer, stopServer, waitForSessions, waitForState,
} from './lib.mjs';
import { NARROW_PX, checkNarrow, tabTo } from './narrow.mjs';

const CONNECT_MS = 15000;
const STOP_TO_ZERO_MS = 1000;
// The page's threshold for the help, shortened from its 10 s so the scenario stays short.
const HELP_AFTER_S = 2;
// The server gives up on ICE this long after its last check failed (--ice-timeout; its checks take about 2.5 s before),
// and ends the session with the code ice-failed: longer than HELP_AFTER_S, so the help comes first.
const ICE_TIMEOUT_S = 3;
const FAIL_MS = 15000;
const ICE_PORTS = [40200, 40210];
// How long the server's stats take to show a new picture size (the camera's change, then a stats a second).
const SIZE_MS = 6000;

// How long the camera takes to open in the last session (a person slow to allow it): longer than HELP_AFTER_S.
const CAMERA_DELAY_MS = 3000;

/** An init script (openPage's `init`): getUserMedia answers window.rtfxCameraDelayMs (default 0) late. */
function slowCamera() {
  const native = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    await new Promise((resolve) => { setTimeout(resolve, window.rtfxCameraDelayMs ?? 0); });
    return native(constraints);
  };
}

/** #connect-help as the page shows it: {shown, reason, trying, text}. */
async function helpView(page) {
  return evaluate(page, () => {
    const help = document.querySelector('#connect-help');
    return {
      shown: !help.hidden && help.getClientRects().length > 0,
      reason: help.dataset.reason ?? null,
      trying: !document.querySelector('#connect-help-trying').hidden,
      text: help.innerText.replace(/\s+/g, ' ').trim(),
      state: window.rtfx.state,
      status: document.querySelector('#status').textContent,
    };
  });
}

/** The help names each usual cause and the fix. */
function checkHelpText(text) {
  for (const [what, re] of [['TURN', /TURN/], ['a VPN', /VPN/], ['a firewall', /firewall/i], ['UDP', /UDP/],
    ['the --turn option', /--turn/], ['docs/deploy.md', /docs\/deploy\.md/]]) {
    check(re.test(text), `the connection help does not mention ${what}: "${text}"`);
  }
}

export async function connectHelp(binary) {
  const browser = await launchBrowser('chromium');
  const server = await startServer(binary, { args: ['--ice-ports', ICE_PORTS.join('-'),
    '--ice-timeout', String(ICE_TIMEOUT_S)] });
  const page = await openPage(browser, `${server.url}?help-after=${HELP_AFTER_S}`, 'help', {
    init: `(${recordSignaling})(); (${slowCamera})();`,
  });
  // Every media packet dropped, UDP and TCP to the server's ICE ports (its ICE-TCP candidates): no media path works.
  const restore = await dropMedia([ICE_PORTS.join('-')]);

  const clicked = performance.now();
  await click(page, '#start');
  const early = await helpView(page);
  check(!early.shown, `the connection help is shown at once: ${JSON.stringify(early)}`);
  const { value: slow } = await pollUntil(async () => {
    const v = await helpView(page);
    return v.shown ? v : null;
  }, HELP_AFTER_S * 1000 + 3000, 'the connection help while connecting', { intervalMs: 100 });
  const slowMs = performance.now() - clicked;
  log(`help shown ${Math.round(slowMs)} ms after Start (threshold ${HELP_AFTER_S} s): ${slow.text}`);
  check(slowMs >= HELP_AFTER_S * 1000 - 100, `the help came ${Math.round(slowMs)} ms after Start, before ${HELP_AFTER_S} s`);
  check(slow.state === 'connecting' && slow.reason === 'slow' && slow.trying,
    `while connecting the help should say it keeps trying: ${JSON.stringify(slow)}`);
  checkHelpText(slow.text);
  check(/no TURN server/.test(slow.text), 'a server without --turn: the help does not say it has no TURN server');

  const { value: failed } = await waitForState(page, ['failed', 'connected'], FAIL_MS);
  const failedMs = performance.now() - clicked;
  const bye = (await signalingLog(page, ['bye'])).received[0]?.msg ?? null;
  const after = await helpView(page);
  log(`failed ${Math.round(failedMs)} ms after Start (server's bye: ${JSON.stringify(bye)}): "${failed.text}"`);
  check(failed.dataState === 'failed', `the page connected with every media packet dropped: ${failed.text}`);
  check(/No network path between this browser and the server works/.test(failed.text),
    `#status does not say in plain words that ICE failed: "${failed.text}"`);
  check(after.shown && after.reason === 'failed' && !after.trying,
    `after ICE failed the help should stay, without "keeps trying": ${JSON.stringify(after)}`);
  checkHelpText(after.text);
  await waitForSessions(server, 0, 3000);

  await restore();
  await evaluate(page, (ms) => { window.rtfxCameraDelayMs = ms; }, CAMERA_DELAY_MS);
  await click(page, '#start');
  const hiddenAtStart = await helpView(page);
  check(!hiddenAtStart.shown, 'a new Start kept the old failure\'s help');
  // Connecting takes longer than HELP_AFTER_S from Start, all of it the camera's: the help must not come.
  const { value: ok, ms: okMs } = await pollUntil(async () => {
    const v = await helpView(page);
    check(!v.shown, `the help came while the camera was being allowed, or after it: ${JSON.stringify(v)}`);
    const frame = await evaluate(page, () => window.rtfx.timeline.some((s) => s.step === 'first-frame'));
    return v.state === 'failed' || (v.state === 'connected' && frame) ? v : null;
  }, CAMERA_DELAY_MS + CONNECT_MS, 'connected and the first frame shown', { intervalMs: 100 });
  check(ok.state === 'connected', `with the path back the page did not connect: ${ok.status}`);
  // Chromium (--use-fake-ui-for-media-stream) says the camera is allowed already, so the offer does not wait for it:
  // the connection is made while the camera opens.
  const steps = await pageTimeline(page);
  check(steps.get('offer-sent') < steps.get('camera'),
    `the camera was allowed already, yet the offer (${steps.get('offer-sent')} ms) waited for it (${steps.get('camera')} ms)`);
  log(`path back, camera ${CAMERA_DELAY_MS} ms late: first frame ${Math.round(okMs)} ms after Start, no help`);
  await click(page, '#stop');
  await waitForSessions(server, 0, STOP_TO_ZERO_MS);
  await browser.close();
  await stopServer(server);
}

/** The page's own texts (web/texts.json), by key. */
function builtinTexts() {
  return JSON.parse(fs.readFileSync(new URL('../../web/texts.json', import.meta.url), 'utf8'));
}

/** A JSON file in a scratch folder; returns its path. */
function writeJson(dir, name, value) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

export async function pageTexts(binary) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rtfx-texts-'));
  onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
  const french = writeJson(dir, 'fr.json', {
    'page.lang': 'fr', 'button.start': 'Démarrer', 'status.idle.camera': 'Appuyez sur Démarrer.',
    'status.connected': 'Connecté', 'no.such.text': 'x',
  });
  const builtin = builtinTexts();

  const server = await startServer(binary, { args: ['--page-texts', french] });
  check(/warning: --page-texts: the page has no text "no\.such\.text"/.test(server.proc.stderr),
    `no warning about a key the page lacks:\n${server.proc.stderr}`);
  const served = await (await fetch(`${server.url}texts.json`, { signal: AbortSignal.timeout(2000) })).json();
  const missing = Object.keys(builtin).filter((k) => typeof served[k] !== 'string');
  check(missing.length === 0, `GET /texts.json lacks the page's own ${missing.join(', ')}`);
  check(served['button.stop'] === builtin['button.stop'] && served['button.start'] === 'Démarrer',
    'GET /texts.json is not the page\'s texts with the file\'s over them');

  const browser = await launchBrowser('chromium');
  const page = await openPage(browser, server.url, 'texts');
  const shown = await evaluate(page, () => ({
    lang: document.documentElement.lang, start: document.querySelector('#start').textContent,
    stop: document.querySelector('#stop').textContent, status: document.querySelector('#status').textContent,
    title: document.title, caption: document.querySelector('#local-caption').textContent,
  }));
  log(`with --page-texts: ${JSON.stringify(shown)}`);
  check(shown.lang === 'fr' && shown.start === 'Démarrer' && shown.status === 'Appuyez sur Démarrer.',
    `the file's texts are not shown: ${JSON.stringify(shown)}`);
  check(shown.stop === builtin['button.stop'] && shown.title === builtin['page.title'] &&
    shown.caption === builtin['video.local'], `a text the file leaves out is not the page's own: ${JSON.stringify(shown)}`);
  await click(page, '#start');
  const { value } = await waitForState(page, ['connected', 'failed'], CONNECT_MS);
  check(value.text === 'Connecté', `the status line says "${value.text}", not the file's "Connecté"`);
  await click(page, '#stop');
  await waitForSessions(server, 0, STOP_TO_ZERO_MS);
  await browser.close();
  await stopServer(server);

  const port = String(20000 + Math.floor(Math.random() * 40000));
  for (const c of [
    { file: writeJson(dir, 'broken.json', '{"button.start": "Démarrer",'), names: ['--page-texts', 'broken.json'] },
    { file: writeJson(dir, 'list.json', ['Démarrer']), names: ['--page-texts', 'JSON object'] },
    { file: writeJson(dir, 'number.json', { 'button.start': 1 }), names: ['"button.start"', 'not a string'] },
    { file: path.join(dir, 'missing.json'), names: ['--page-texts', 'missing.json'] },
  ]) {
    const r = await runToExit(binary, ['--port', port, '--page-texts', c.file], 10000);
    const lines = r.stderr.trim().split('\n');
    log(`--page-texts ${path.basename(c.file)}: exit ${r.code}: ${lines.join(' | ')}`);
    check(r.code === 2, `--page-texts ${path.basename(c.file)}: exit status ${r.code}, not 2`);
    check(lines.length === 1, `--page-texts ${path.basename(c.file)}: ${lines.length} lines of error, not one`);
    for (const n of c.names) check(lines[0].includes(n), `the message does not name ${n}: ${lines[0]}`);
  }
}

/** The messages of type the page sent after the first `since` of them. */
async function sentAfter(page, type, since) {
  return (await signalingLog(page, [type])).sent.slice(since).map((e) => e.msg);
}

/**
 * By keyboard alone, from Stop on: Tab reaches the camera picker, then the picture size, where ArrowUp brings the
 * server 320x240 (its stats); then the camera toggle, which Space turns off and on again.
 */
async function deviceKeys(page) {
  const toCamera = await tabTo(page, '#camera');
  const toSize = await tabTo(page, '#video-size');
  await page.keyboard.press('ArrowUp');
  const { value: size, ms } = await pollUntil(() => evaluate(page, () => (
    document.querySelector('#stats').dataset.size === '320x240' ? document.querySelector('#video-size').value : null)),
  SIZE_MS, 'the server receives 320x240 after ArrowUp on #video-size');
  log(`keyboard: #camera after ${toCamera} Tab(s), #video-size after ${toSize} more; ArrowUp chose ${size}, ` +
      `the server's stats said 320x240 ${Math.round(ms)} ms later`);
  const toToggle = await tabTo(page, '#camera-toggle');
  // Space, then the camera as #devices says and as the video sender's track is, once both agree on `wanted`.
  const press = async (wanted) => {
    await page.keyboard.press('Space');
    let last = null;
    await pollUntil(async () => {
      last = await evaluate(page, () => ({ state: document.querySelector('#devices').dataset.camera,
        enabled: window.rtfx.pc.getSenders().find((s) => s.track?.kind === 'video')?.track.enabled }));
      return last.state === wanted && last.enabled === (wanted === 'on');
    }, 3000, `Space on #camera-toggle turns the camera ${wanted}`, { describe: () => JSON.stringify(last) });
  };
  await press('off');
  await press('on');
  log(`keyboard: #camera-toggle after ${toToggle} more Tab(s); Space turned the camera off, Space again on`);
}

export async function pageNarrow(binary) {
  const texts = builtinTexts();
  const devices = [`combobox: ${texts['devices.camera']}`, `combobox: ${texts['devices.size']}`,
    `combobox: ${texts['devices.fps']}`, `button: ${texts['devices.camera-off']}`];
  const browser = await launchBrowser('chromium');
  const server = await startServer(binary);
  const page = await openPage(browser, server.url, 'narrow', { init: recordSignaling });
  await page.setViewport({ width: NARROW_PX, height: 640 });
  await checkNarrow(page, 'idle', devices);
  // The sections that appear later, shown now: their words must fit too (the microphone's with --audio).
  const later = ['connect-help', 'token-form', 'microphone-row'];
  await evaluate(page, (ids) => { for (const id of ids) document.getElementById(id).hidden = false; }, later);
  await checkNarrow(page, 'help, token form and microphone shown', [`combobox: ${texts['devices.microphone']}`]);
  await evaluate(page, (ids) => { for (const id of ids) document.getElementById(id).hidden = true; }, later);

  await page.bringToFront();
  const toStart = await tabTo(page, '#start');
  await page.keyboard.press('Enter');
  const { value } = await waitForState(page, ['connected', 'failed'], CONNECT_MS);
  check(value.dataState === 'connected', `Enter on Start: #status went to "failed" (${value.text})`);
  log(`keyboard: Start reached with ${toStart} Tab(s), Enter connected`);
  await pollUntil(() => evaluate(page, () => !document.querySelector('#preset-row').hidden &&
    document.querySelector('#controls input[type=range]') !== null), 5000, 'the preset selector and a slider');
  await checkNarrow(page, 'connected, settings shown', devices);

  const focused = await evaluate(page, () => document.activeElement?.id);
  check(focused === 'stop', `after Enter on Start the focus is on "${focused}", not Stop`);
  await deviceKeys(page);
  const toPreset = await tabTo(page, '#preset');
  const presets = (await signalingLog(page, ['preset'])).sent.length;
  await page.keyboard.press('ArrowDown');
  const { value: chosen } = await pollUntil(async () => (await sentAfter(page, 'preset', presets))[0] ?? null,
    3000, 'a preset message after ArrowDown on the selector');
  log(`keyboard: preset selector after ${toPreset} more Tab(s); ArrowDown sent ${JSON.stringify(chosen)}`);
  await pollUntil(() => evaluate(page, (name) => window.rtfx.controls?.preset === name &&
    document.querySelector('#controls input[type=range]') !== null, chosen.name), 5000, 'the new preset\'s controls');

  const toSlider = await tabTo(page, '#controls input[type=range]');
  const target = await evaluate(page, () => ({ element: document.activeElement.dataset.element,
    property: document.activeElement.dataset.property, value: Number(document.activeElement.value) }));
  const sets = (await signalingLog(page, ['set'])).sent.length;
  await page.keyboard.press('ArrowRight');
  const { value: set } = await pollUntil(async () => (await sentAfter(page, 'set', sets))[0] ?? null,
    3000, 'a set message after ArrowRight on the slider');
  log(`keyboard: slider ${target.element}.${target.property} after ${toSlider} more Tab(s); ArrowRight sent ` +
      `${JSON.stringify(set)}`);
  check(set.element === target.element && set.property === target.property && set.value !== target.value,
    `ArrowRight on ${target.element}.${target.property} (${target.value}) sent ${JSON.stringify(set)}`);

  await page.keyboard.down('Shift');
  try {
    await tabTo(page, '#stop');
  } finally {
    await page.keyboard.up('Shift');
  }
  await page.keyboard.press('Space');
  await waitForSessions(server, 0, STOP_TO_ZERO_MS);
  const stopped = await evaluate(page, () => ({ state: window.rtfx.state, focus: document.activeElement?.id }));
  check(stopped.state === 'stopped' && stopped.focus === 'start', `Space on Stop: ${JSON.stringify(stopped)}`);
  await browser.close();
  await stopServer(server);
}
