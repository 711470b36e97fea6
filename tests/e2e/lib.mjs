// Building blocks of the rtfx end-to-end tests: start and stop rtfx-launch, drive a browser through the page,
// and read what the page and the server report. Every wait is bounded; every process started here is killed on
// the way out, whatever happened. run.sh has already put us in a namespace that has only `lo`.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const CHROMIUM = '/usr/bin/chromium';
export const FIREFOX = '/usr/bin/firefox-esr';

// The flags every Chromium of these tests runs with (puppeteer adds its own automation defaults to them).
export const CHROMIUM_FLAGS = [
  '--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--allow-loopback-in-peer-connection', '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream=fps=30',
];

// Fake camera without a prompt, and keep loopback ICE candidates (see WEBRTC-NOTES.md).
export const FIREFOX_PREFS = {
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  'media.peerconnection.ice.loopback': true,
};

export const NEAR_BLACK_LUMA = 40;

/** What this run started, for the failure report: servers (their stderr) and pages (their console). */
export const started = { servers: [], pages: [] };

/** Thrown when the scenario cannot run here (a browser is not installed): run.sh turns it into exit 77. */
export class Skip extends Error {}

export function log(...parts) {
  console.log(...parts);
}

export function check(condition, message) {
  if (!condition) throw new Error(message);
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Calls fn every intervalMs until it returns a truthy value, which counts if that call began within ms.
 * Throws after that with describe() of the last value.
 */
export async function pollUntil(fn, ms, what, { intervalMs = 100, describe = (v) => JSON.stringify(v) } = {}) {
  const start = performance.now();
  let last;
  for (;;) {
    const called = performance.now() - start;
    last = await fn();
    if (last && called <= ms) return { value: last, ms: performance.now() - start };
    if (performance.now() - start > ms) throw new Error(`${what} not reached within ${ms} ms (last: ${describe(last)})`);
    await sleep(intervalMs);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Cleanup: whatever is still registered here when the process ends is killed.

const cleanups = new Set();

export function onCleanup(fn) {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

let hurry = false;

/**
 * Runs every cleanup still registered. With hurry (on a signal: meson allows 0.5 s before SIGKILL), first
 * kills every process started here, and browsers are not given the chance to shut down by themselves.
 */
export async function cleanupAll({ hurry: now = false } = {}) {
  if (now) {
    hurry = true;
    for (const c of children) killGroup(c);
  }
  for (const fn of [...cleanups].reverse()) {
    cleanups.delete(fn);
    try {
      await withTimeout(Promise.resolve().then(fn), 10000, 'cleanup');
    } catch (e) {
      log(`cleanup: ${e.message}`);
    }
  }
}

function killGroup(child) {
  // Processes started here lead their own process group, so their helpers die with them.
  try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
  try { child.kill('SIGKILL'); } catch { /* already gone */ }
}

const children = new Set();
process.on('exit', () => { for (const c of children) killGroup(c); });

function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

// ---------------------------------------------------------------------------------------------------------------
// rtfx-launch

function serverEnv() {
  // The chain errors are checked on one line of stderr: keep debug and tracer output out of it.
  const env = { ...process.env };
  for (const k of ['GST_DEBUG', 'GST_TRACERS', 'G_DEBUG']) delete env[k];
  return env;
}

async function portIsFree(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

export async function freePort() {
  for (let i = 0; i < 50; i++) {
    const port = 20000 + Math.floor(Math.random() * 40000);
    if (await portIsFree(port)) return port;
  }
  throw new Error('no free port found between 20000 and 60000');
}

export function shellWords(args) {
  return args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(' ');
}

/** The last lines of a process's output. When a sanitizer reported, the lines before its report and the report's
 * top instead: its first stack says where the fault or the leak was, and a plain tail keeps only the last one's end. */
function tail(text, lines = 20) {
  const all = text.split('\n').filter(Boolean);
  const report = all.findIndex((l) => /^==\d+==ERROR: \w+Sanitizer/.test(l));
  const kept = report < 0 ? all.slice(-lines)
    : [...all.slice(Math.max(0, report - 10), report + 40),
       ...all.slice(report + 40).filter((l) => /SUMMARY: \w+Sanitizer/.test(l))];
  return kept.length ? kept.map((l) => `    ${l}`).join('\n') : '    (nothing)';
}

/** Spawns binary with args; collects output; `exited` resolves to {code, signal, ms}. */
export function startProcess(binary, args, { env = serverEnv() } = {}) {
  const spawnedAt = performance.now();
  const child = track(spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], env, detached: true }));
  const proc = { child, pid: child.pid, args, stdout: '', stderr: '', exit: null };
  const cap = (s) => (s.length > 256 * 1024 ? s.slice(-128 * 1024) : s);
  child.stdout.on('data', (d) => { proc.stdout = cap(proc.stdout + d); });
  child.stderr.on('data', (d) => { proc.stderr = cap(proc.stderr + d); });
  proc.exited = new Promise((resolve) => {
    child.once('error', (e) => {
      proc.stderr += `spawn failed: ${e.message}\n`;
      proc.exit = { code: null, signal: null, ms: performance.now() - spawnedAt, error: e };
      resolve(proc.exit);
    });
    // 'close' rather than 'exit': it comes after the output pipes are drained.
    child.once('close', (code, signal) => {
      proc.exit ??= { code, signal, ms: performance.now() - spawnedAt };
      resolve(proc.exit);
    });
  });
  return proc;
}

/** Runs binary to completion within ms (killed and reported as a failure after that). */
export async function runToExit(binary, args, ms) {
  const proc = startProcess(binary, args);
  const done = await Promise.race([proc.exited, sleep(ms).then(() => null)]);
  if (!done) {
    killGroup(proc.child);
    await withTimeout(proc.exited, 2000, `${path.basename(binary)} after SIGKILL`).catch(() => {});
    throw new Error(`${path.basename(binary)} ${shellWords(args)} still running after ${ms} ms (killed)\n` +
                    `  stderr:\n${tail(proc.stderr)}`);
  }
  return { ...done, stdout: proc.stdout, stderr: proc.stderr };
}

async function nft(args) {
  const r = await runToExit('nft', args, 5000);
  check(r.code === 0, `nft ${args.join(' ')}: ${r.stderr.trim()}`);
}

/**
 * Cuts every media path in run.sh's namespace (the machine's own tables are not touched), as a blocked or lost path
 * does: every UDP datagram is dropped, and TCP to or from tcpPorts (numbers, or "MIN-MAX" ranges: the server's ICE-TCP
 * ports, which Chromium's active TCP candidate would otherwise pair with). Sent without an error and lost; signaling and
 * the browser's DevTools connection, TCP on other ports, go on. Resolves with a function that lets traffic through again
 * (also done at cleanup).
 */
export async function dropMedia(tcpPorts = []) {
  const table = ['inet', 'rtfxdrop'];
  const rules = [
    ['add', 'table', ...table],
    ['add', 'chain', ...table, 'out', '{ type filter hook output priority 0; }'],
    ['add', 'rule', ...table, 'out', 'meta', 'l4proto', 'udp', 'drop'],
  ];
  for (const port of tcpPorts) {
    for (const dir of ['dport', 'sport']) rules.push(['add', 'rule', ...table, 'out', 'tcp', dir, String(port), 'drop']);
  }
  for (const args of rules) await nft(args);
  const forget = onCleanup(() => nft(['delete', 'table', ...table]).catch(() => {}));
  return async () => {
    forget();
    await nft(['delete', 'table', ...table]);
  };
}

// Ports of servers started with a self-signed certificate: their /status is HTTPS, not verified.
const tlsPorts = new Set();

/** GET https://127.0.0.1:port/path without checking the (self-signed) certificate: {status, text}. */
function getInsecure(port, pathname, ms) {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, path: pathname, rejectUnauthorized: false, timeout: ms }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${pathname}: no answer in ${ms} ms`)));
    req.on('error', reject);
  });
}

export async function getStatus(port, ms = 2000) {
  let body;
  if (tlsPorts.has(port)) {
    const res = await getInsecure(port, '/status', ms);
    check(res.status === 200, `GET /status answered ${res.status}`);
    body = JSON.parse(res.text);
  } else {
    const res = await fetch(`http://127.0.0.1:${port}/status`, { signal: AbortSignal.timeout(ms) });
    check(res.ok, `GET /status answered ${res.status}`);
    body = await res.json();
  }
  check(body && typeof body.sessions === 'number', `GET /status has no numeric "sessions": ${JSON.stringify(body)}`);
  return body;
}

/** RTFX_E2E_SERVER_ARGS: more arguments for the served scenarios, a JSON array or words separated by spaces. */
function extraServerArgs() {
  const v = process.env.RTFX_E2E_SERVER_ARGS?.trim();
  if (!v) return [];
  return v.startsWith('[') ? JSON.parse(v).map(String) : v.split(/\s+/);
}

/**
 * Starts `rtfx-launch --port P [--bind ADDR] [args]` on a free port and waits until GET /status answers.
 * Retries on another port when the chosen one was taken in between. `env` adds to its environment (which has no
 * GST_DEBUG unless given here).
 */
export async function startServer(binary,
  { args = extraServerArgs(), bind = '127.0.0.1', readyMs = 10000, env = {} } = {}) {
  check(fs.existsSync(binary), `server binary ${binary} does not exist`);
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const fullArgs = ['--port', String(port), ...(bind ? ['--bind', bind] : []), ...args];
    const proc = startProcess(binary, fullArgs, { env: { ...serverEnv(), ...env } });
    const tls = args.includes('--tls-self-signed') || args.includes('--tls-cert');
    if (tls) tlsPorts.add(port);
    const server = { ...proc, port, url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}/`, proc };
    const unregister = onCleanup(() => killGroup(proc.child));
    server.unregister = unregister;
    started.servers.push(server);
    const start = performance.now();
    let lastError = '';
    while (!proc.exit && performance.now() - start < readyMs) {
      try {
        const status = await getStatus(port, 1000);
        log(`rtfx-launch ${shellWords(fullArgs)}: pid ${proc.pid}, serving after ${Math.round(performance.now() - start)} ms,` +
            ` status ${JSON.stringify(status)}`);
        return server;
      } catch (e) {
        lastError = e.cause?.code ?? e.message;
        await sleep(100);
      }
    }
    if (proc.exit) {
      if (/in use|EADDRINUSE/i.test(proc.stderr) && attempt < 5) {
        unregister();
        continue;
      }
      throw new Error(`rtfx-launch ${shellWords(fullArgs)} exited (code ${proc.exit.code}, signal ${proc.exit.signal}) ` +
                      `before serving /status\n  stderr:\n${tail(proc.stderr)}`);
    }
    killGroup(proc.child);
    throw new Error(`rtfx-launch did not answer GET /status within ${readyMs} ms (last: ${lastError})\n` +
                    `  stderr:\n${tail(proc.stderr)}`);
  }
}

/** SIGTERM; the server must exit with status 0 within graceMs, else it is killed and this throws. */
export async function stopServer(server, graceMs = 2000) {
  const { child } = server.proc;
  if (server.proc.exit) {
    server.unregister();
    throw new Error(`rtfx-launch had already exited (code ${server.proc.exit.code}, signal ${server.proc.exit.signal})` +
                    `\n  stderr:\n${tail(server.proc.stderr)}`);
  }
  const sent = performance.now();
  child.kill('SIGTERM');
  const exit = await Promise.race([server.proc.exited, sleep(graceMs).then(() => null)]);
  server.unregister();
  if (!exit) {
    killGroup(child);
    await withTimeout(server.proc.exited, 2000, 'rtfx-launch after SIGKILL').catch(() => {});
    throw new Error(`rtfx-launch did not exit within ${graceMs} ms of SIGTERM (killed)\n  stderr:\n${tail(server.proc.stderr)}`);
  }
  const ms = performance.now() - sent;
  // A known, rare crash of LeakSanitizer's own thread at exit (github.com/google/sanitizers/issues/1353): not a
  // leak, and no verdict either.
  if (exit.code !== 0 && /^Tracer caught signal/m.test(server.proc.stderr)) {
    throw new Skip('LeakSanitizer\'s tracer crashed at the server\'s exit: no leak verdict');
  }
  check(exit.code === 0, `rtfx-launch exited with code ${exit.code} (signal ${exit.signal}) on SIGTERM, not 0\n` +
                         `  stderr:\n${tail(server.proc.stderr)}`);
  check(!/did not stop in time/.test(server.proc.stderr),
        `rtfx-launch waited for pipelines that would not stop:\n  stderr:\n${tail(server.proc.stderr)}`);
  const criticals = server.proc.stderr.split('\n').filter((l) => /-CRITICAL \*\*|-ERROR \*\*/.test(l));
  check(criticals.length === 0, `rtfx-launch logged ${criticals.length} critical(s):\n${tail(criticals.join('\n'))}`);
  log(`rtfx-launch exited 0, ${Math.round(ms)} ms after SIGTERM`);
  return ms;
}

export function serverStderrTail(server, lines = 30) {
  return tail(server.proc.stderr, lines);
}

export async function waitForSessions(server, n, ms) {
  let last = null;
  return pollUntil(async () => {
    last = await getStatus(server.port, 1000);
    return last.sessions === n ? last : null;
  }, ms, `GET /status sessions = ${n}`, { intervalMs: 50, describe: () => JSON.stringify(last) });
}

// ---------------------------------------------------------------------------------------------------------------
// Server CPU, from /proc/<pid>/stat (utime + stime of all its threads).

let clockTicks;

export function cpuSeconds(pid) {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so utime (14) and stime (15) are fields[11] and fields[12].
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

// ---------------------------------------------------------------------------------------------------------------
// Browsers

async function loadPuppeteer() {
  try {
    return (await import('puppeteer-core')).default;
  } catch (e) {
    const err = new Error(`cannot load puppeteer-core (${e.message}); run \`npm ci\` in tests/e2e`);
    err.setup = true;
    throw err;
  }
}

/** kind: 'chromium' | 'firefox'. Throws Skip when that browser is not installed. */
/** Starts a browser; `fakeVideo` (Chromium only) is a .y4m file its fake camera plays instead of its pattern;
 * `insecureTls` (Chromium only) accepts the self-signed certificate of a test server; `cameras` (Chromium only) is
 * how many fake cameras it has (fake_device_0, fake_device_1, …). */
export async function launchBrowser(kind, { fakeVideo = null, insecureTls = false, cameras = 1 } = {}) {
  const exe = kind === 'firefox' ? FIREFOX : CHROMIUM;
  if (!fs.existsSync(exe)) throw new Skip(`${exe} is not installed`);
  const puppeteer = await loadPuppeteer();
  const common = {
    executablePath: exe,
    headless: true,
    timeout: 30000,            // browser start
    protocolTimeout: 20000,    // any single command to it
    handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false,
    env: process.env,
  };
  let userDataDir = null;
  let options;
  if (kind === 'firefox') {
    options = { ...common, browser: 'firefox', protocol: 'webDriverBiDi', extraPrefsFirefox: FIREFOX_PREFS };
  } else {
    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rtfx-e2e-chromium-'));
    const fakeDevices = (f) => (f.startsWith('--use-fake-device-for-media-stream=') && cameras !== 1
      ? `${f},device-count=${cameras}` : f);
    const args = [...CHROMIUM_FLAGS.map(fakeDevices),
      ...(fakeVideo ? [`--use-file-for-fake-video-capture=${fakeVideo}`] : []),
      // Only in tests: the server's certificate is self-signed.
      ...(insecureTls ? ['--ignore-certificate-errors'] : [])];
    options = { ...common, browser: 'chrome', userDataDir, args };
  }
  const launchedAt = performance.now();
  const browser = await puppeteer.launch(options);
  const child = browser.process();
  if (child) track(child);
  const version = await withTimeout(browser.version(), 10000, 'browser.version()');
  log(`${kind}: ${version}, started in ${Math.round(performance.now() - launchedAt)} ms (pid ${child?.pid})`);
  const close = async () => {
    try {
      if (hurry) throw new Error('in a hurry');
      const t = performance.now();
      // puppeteer gives Firefox 5 s to shut down by itself before it kills it; this bound is for puppeteer.
      await withTimeout(browser.close(), 8000, `closing ${kind}`);
      log(`${kind}: closed in ${Math.round(performance.now() - t)} ms`);
    } catch (e) {
      log(`${kind}: ${e.message}; killing it`);
    }
    if (child) killGroup(child);
    if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  };
  const unregister = onCleanup(close);
  return { kind, browser, child, close: async () => { unregister(); await close(); } };
}

/**
 * Opens url in a new window, waits for the page's debug hook; page.logs collects its console. A window rather
 * than a tab: a background tab gets throttled (Firefox runs its timers once a second), and two users each have
 * their page in front.
 */
/** Opens url in a new window; `init` (a function, or an array of them) runs in the page before any of its scripts. */
export async function openPage(b, url, name = 'page', { init = null } = {}) {
  const page = await withTimeout(b.browser.newPage({ type: 'window' }), 10000, `${name}: new window`);
  for (const fn of [init].flat().filter(Boolean)) {
    await withTimeout(page.evaluateOnNewDocument(fn), 5000, `${name}: init script`);
  }
  page.rtfxName = name;
  page.logs = [];
  started.pages.push(page);
  page.on('console', (m) => page.logs.push(`[${name} console.${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => page.logs.push(`[${name} pageerror] ${e.message ?? e}`));
  page.on('response', (r) => { if (r.status() >= 400) page.logs.push(`[${name} HTTP ${r.status()}] ${r.url()}`); });
  page.on('requestfailed', (r) => page.logs.push(`[${name} request failed] ${r.url()}: ${r.failure()?.errorText}`));
  const res = await withTimeout(page.goto(url, { waitUntil: 'load', timeout: 10000 }), 12000, `${name}: loading ${url}`);
  check(res && res.status() === 200, `${name}: GET ${url} answered ${res ? res.status() : 'nothing'}`);
  await pollUntil(() => evaluate(page, () => Boolean(window.rtfx && document.querySelector('#start') &&
                                                     document.querySelector('#status'))),
                  5000, `${name}: window.rtfx, #start and #status`);
  return page;
}

export function pageLogs(page, lines = 30) {
  return page.logs.slice(-lines).map((l) => `    ${l}`).join('\n');
}

export async function evaluate(page, fn, ...args) {
  return withTimeout(page.evaluate(fn, ...args), 10000, `${page.rtfxName ?? 'page'}: evaluate`);
}

/** A real (trusted) click; the tab is brought to the front first, as a background tab may not get input. */
export async function click(page, selector) {
  await withTimeout(page.bringToFront(), 5000, `${page.rtfxName}: bring to front`);
  await withTimeout(page.click(selector), 5000, `${page.rtfxName}: click ${selector}`);
}

export async function pageState(page) {
  return evaluate(page, () => ({
    dataState: document.querySelector('#status')?.dataset.state ?? null,
    hookState: window.rtfx?.state ?? null,
    text: document.querySelector('#status')?.textContent?.trim().slice(0, 200) ?? null,
  }));
}

export async function waitForState(page, states, ms) {
  try {
    return await pollUntil(async () => {
      const s = await pageState(page);
      return states.includes(s.dataState) ? s : null;
    }, ms, `${page.rtfxName}: #status data-state in [${states}]`);
  } catch (e) {
    const now = await pageState(page).catch(() => ({}));
    e.message += `\n  page state now: ${JSON.stringify(now)}\n  page console:\n${pageLogs(page)}`;
    throw e;
  }
}

/** The inbound video stats of window.rtfx.pc (null when there is no pc or no inbound video yet). */
export async function inboundVideo(page) {
  return evaluate(page, async () => {
    const pc = window.rtfx?.pc;
    if (!pc) return null;
    const report = await pc.getStats();
    let best = null;
    const codecs = new Map();
    report.forEach((s) => {
      if (s.type === 'codec') codecs.set(s.id, s.mimeType);
      if (s.type === 'inbound-rtp' && (s.kind ?? s.mediaType) === 'video' &&
          (!best || (s.framesDecoded ?? 0) > (best.framesDecoded ?? 0))) best = s;
    });
    if (!best) return null;
    return {
      framesDecoded: best.framesDecoded ?? 0,
      framesReceived: best.framesReceived ?? null,
      framesDropped: best.framesDropped ?? null,
      framesPerSecond: best.framesPerSecond ?? null,
      frameWidth: best.frameWidth ?? null,
      frameHeight: best.frameHeight ?? null,
      codec: codecs.get(best.codecId) ?? null,
      keyFramesDecoded: best.keyFramesDecoded ?? null,
      pliCount: best.pliCount ?? null,
      jitterBufferDelay: best.jitterBufferDelay ?? null,
      jitterBufferEmittedCount: best.jitterBufferEmittedCount ?? null,
      // Stats timestamps are milliseconds on one clock; fall back to the page clock when one is missing.
      t: Number.isFinite(best.timestamp) && best.timestamp > 0 ? best.timestamp : performance.timeOrigin + performance.now(),
    };
  });
}

/** The ICE candidate pair in use, as "udp 127.0.0.1:p (host) -> 127.0.0.1:q (prflx)", or null. */
export async function candidatePair(page) {
  return evaluate(page, async () => {
    const pc = window.rtfx?.pc;
    if (!pc) return null;
    const report = await pc.getStats();
    const byId = new Map();
    report.forEach((s) => byId.set(s.id, s));
    let pair = null;
    report.forEach((s) => {
      if (s.type === 'transport' && s.selectedCandidatePairId) pair = byId.get(s.selectedCandidatePairId);
    });
    if (!pair) report.forEach((s) => { if (s.type === 'candidate-pair' && s.state === 'succeeded' && s.nominated) pair = s; });
    if (!pair) return null;
    const show = (c) => (c ? `${c.address ?? c.ip}:${c.port} (${c.candidateType})` : '?');
    const local = byId.get(pair.localCandidateId);
    return `${local?.protocol ?? '?'} ${show(local)} -> ${show(byId.get(pair.remoteCandidateId))}`;
  });
}

export function fps(a, b) {
  const dt = (b.t - a.t) / 1000;
  return { frames: b.framesDecoded - a.framesDecoded, seconds: dt, fps: dt > 0 ? (b.framesDecoded - a.framesDecoded) / dt : 0 };
}

/** The page's steps of its newest session (window.rtfx.timeline): a Map of step to ms since the click on Start. */
export async function pageTimeline(page) {
  return new Map((await evaluate(page, () => window.rtfx.timeline ?? [])).map((s) => [s.step, s.ms]));
}

/**
 * How long the browser held each frame in its jitter buffer between two samples of its inbound-rtp statistics
 * (inboundVideo(), the session bench's probe), in ms; null when they do not say.
 */
export function jitterBufferMs(a, b) {
  const frames = (b.jitterBufferEmittedCount ?? 0) - (a.jitterBufferEmittedCount ?? 0);
  if (b.jitterBufferDelay == null || a.jitterBufferDelay == null || frames <= 0) return null;
  return (1000 * (b.jitterBufferDelay - a.jitterBufferDelay)) / frames;
}

/**
 * The state of a <video> element, including how many frames it has presented since the first call (counted
 * with requestVideoFrameCallback: Firefox's getVideoPlaybackQuality() counts nothing for a MediaStream).
 */
export async function videoState(page, selector) {
  return evaluate(page, (sel) => {
    const v = document.querySelector(sel);
    if (!v) return null;
    if (v.rtfxPresented === undefined && v.requestVideoFrameCallback) {
      v.rtfxPresented = 0;
      const count = () => { v.rtfxPresented++; v.requestVideoFrameCallback(count); };
      v.requestVideoFrameCallback(count);
    }
    return {
      paused: v.paused, readyState: v.readyState, currentTime: v.currentTime,
      width: v.videoWidth, height: v.videoHeight, hasStream: Boolean(v.srcObject),
      presented: v.rtfxPresented ?? null,
    };
  }, selector);
}

/**
 * Draws the current frame of the <video> at selector into a canvas in the page and returns the fraction of
 * near-black pixels (BT.601 luma < NEAR_BLACK_LUMA), the fraction of bright ones (luma >= 128) and the mean luma.
 */
export async function lumaStats(page, selector) {
  return evaluate(page, (sel, threshold) => {
    const v = document.querySelector(sel);
    if (!v || !v.videoWidth || !v.videoHeight) return { error: `${sel} has no frame yet` };
    const w = v.videoWidth, h = v.videoHeight;
    const canvas = document.createElement('canvas');
    canvas.width = w;
    canvas.height = h;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(v, 0, 0, w, h);
    const d = ctx.getImageData(0, 0, w, h).data;
    let dark = 0, bright = 0, sum = 0;
    for (let i = 0; i < d.length; i += 4) {
      const y = 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
      sum += y;
      if (y < threshold) dark++;
      else if (y >= 128) bright++;
    }
    const n = w * h;
    return { dark: dark / n, bright: bright / n, meanLuma: sum / n, width: w, height: h };
  }, selector, NEAR_BLACK_LUMA);
}

export const pct = (x) => `${(100 * x).toFixed(1)} %`;

// ---------------------------------------------------------------------------------------------------------------
// Live controls, presets and stats (docs/protocol.md, "Live controls and presets")

/**
 * An init script (openPage's `init`): records every signaling message the page sends and receives, parsed, with
 * performance.now(), in window.rtfxSignaling = {sent: [], received: []}. Wraps the page's WebSocket, so it sees
 * exactly the frames that go over the wire, whichever module sends them.
 */
export function recordSignaling() {
  const log = { sent: [], received: [] };
  Object.defineProperty(window, 'rtfxSignaling', { value: log });
  const parse = (data) => { try { return JSON.parse(data); } catch { return { unparsed: String(data) }; } };
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    log.sent.push({ t: performance.now(), msg: parse(data) });
    return send.call(this, data);
  };
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (ev) => log.received.push({ t: performance.now(), msg: parse(ev.data) }));
    }
  };
}

/**
 * An init script (openPage's `init`): the page offers H.264 only, so the server must take its H.264 path (no VP8
 * to prefer).
 */
export function offerH264Only() {
  const original = RTCRtpTransceiver.prototype.setCodecPreferences;
  RTCRtpTransceiver.prototype.setCodecPreferences = function (codecs) {
    return original.call(this, codecs.filter((c) => /^video\/(h264|rtx|red|ulpfec)$/i.test(c.mimeType)));
  };
}

/** The signaling messages recorded so far: {sent, received}, each an array of {t, msg}; types filters them. */
export async function signalingLog(page, types = null) {
  return evaluate(page, (wanted) => {
    const log = window.rtfxSignaling;
    if (!log) return null;
    const keep = (entries) => entries.filter((e) => !wanted || wanted.includes(e.msg?.type));
    return { sent: keep(log.sent), received: keep(log.received), now: performance.now() };
  }, types);
}

/**
 * The server's trickled candidates, from the `ice` messages a page recorded (recordSignaling):
 * [{address, port, protocol, type (host, srflx, relay), tcpType, placeholder}]. An active TCP candidate opens no port: its 9 is a
 * placeholder (RFC 6544).
 */
export async function serverCandidates(page) {
  const { received } = await signalingLog(page, ['ice']);
  return received.map((e) => {
    const f = String(e.msg.candidate).split(' ');
    const at = f.indexOf('tcptype');
    const tcpType = at >= 0 ? f[at + 1] : null;
    return { address: f[4], port: Number(f[5]), protocol: f[2].toLowerCase(), type: f[7], tcpType,
             placeholder: tcpType === 'active' };
  });
}

/** window.rtfx.controls (the last `controls` message the page got), or null. */
export async function pageControls(page) {
  return evaluate(page, () => {
    const c = window.rtfx?.controls;
    return c ? JSON.parse(JSON.stringify(c)) : null;
  });
}

/** Waits until window.rtfx.controls satisfies pred (a node-side function of it); returns it. */
export async function waitForControls(page, pred, ms, what) {
  let last = null;
  const { value } = await pollUntil(async () => {
    last = await pageControls(page);
    return last && pred(last) ? last : null;
  }, ms, `${page.rtfxName}: window.rtfx.controls ${what}`, {
    describe: () => (last ? JSON.stringify({ preset: last.preset, chain: last.chain,
      controls: (last.controls ?? []).map((c) => `${c.element}.${c.property}=${JSON.stringify(c.value)}`) }) : 'null'),
  });
  return value;
}

/** The control entry element.property of a controls message, or undefined. */
export function findControl(controls, element, property) {
  return (controls?.controls ?? []).find((c) => c.element === element && c.property === property);
}

/** The page's input for element.property (data-element / data-property in #controls), described, or null. */
export async function controlInput(page, element, property) {
  return evaluate(page, (el, prop) => {
    const panel = document.querySelector('#controls');
    const input = [...(panel?.querySelectorAll('[data-element][data-property]') ?? [])]
      .find((i) => i.dataset.element === el && i.dataset.property === prop);
    if (!input) return null;
    const label = input.labels?.[0]?.textContent?.trim() ?? input.getAttribute('aria-label') ?? null;
    return {
      tag: input.tagName.toLowerCase(), type: input.type ?? null, value: input.value,
      min: input.min ?? null, max: input.max ?? null, step: input.step ?? null,
      disabled: input.disabled, label,
      selector: `#controls [data-element="${CSS.escape(el)}"][data-property="${CSS.escape(prop)}"]`,
    };
  }, element, property);
}

/** Every element.property that has an input in #controls, sorted. */
export async function panelControls(page) {
  return evaluate(page, () => [...document.querySelectorAll('#controls [data-element][data-property]')]
    .map((i) => `${i.dataset.element}.${i.dataset.property}`).sort());
}

/** #stats' data-* attributes, as numbers where they parse (null when absent). */
export async function pageStats(page) {
  return evaluate(page, () => {
    const s = document.querySelector('#stats');
    if (!s) return null;
    const num = (v) => (v === undefined || v === '' ? null : Number(v));
    return {
      fpsIn: num(s.dataset.fpsIn), fpsOut: num(s.dataset.fpsOut), dropped: num(s.dataset.dropped),
      rttMs: num(s.dataset.rttMs), raw: { ...s.dataset }, text: s.textContent.trim().slice(0, 200),
    };
  });
}

/**
 * Starts counting, in the page, the frames the decoder delivers: window.pc's framesDecoded sampled every
 * intervalMs. Read it with frameMonitorResult(); the longest stall is the longest time framesDecoded did not grow.
 */
export async function startFrameMonitor(page, intervalMs = 50) {
  return evaluate(page, (every) => {
    const pc = window.rtfx.pc;
    const m = { samples: [], pc, timer: 0 };
    window.rtfxFrameMonitor = m;
    const sample = async () => {
      try {
        const report = await pc.getStats();
        let frames = 0;
        report.forEach((s) => {
          if (s.type === 'inbound-rtp' && (s.kind ?? s.mediaType) === 'video') frames = Math.max(frames, s.framesDecoded ?? 0);
        });
        m.samples.push({ t: performance.now(), frames });
      } catch (e) {
        m.error = String(e);
      }
      m.timer = setTimeout(sample, every);
    };
    sample();
    return true;
  }, intervalMs);
}

/** Stops the monitor; {frames, ms, longestStallMs, stallAt (ms since start), samples} over its whole run. */
export async function frameMonitorResult(page) {
  return evaluate(page, () => {
    const m = window.rtfxFrameMonitor;
    if (!m) return null;
    clearTimeout(m.timer);
    const s = m.samples;
    let longest = 0, at = 0, lastChange = s[0]?.t ?? 0;
    for (let i = 1; i < s.length; i++) {
      if (s[i].frames > s[i - 1].frames) {
        if (s[i].t - lastChange > longest) { longest = s[i].t - lastChange; at = lastChange - s[0].t; }
        lastChange = s[i].t;
      }
    }
    const end = s[s.length - 1];
    if (end && end.t - lastChange > longest) { longest = end.t - lastChange; at = lastChange - s[0].t; }
    return {
      frames: end ? end.frames - s[0].frames : 0, ms: end ? end.t - s[0].t : 0, samples: s.length,
      longestStallMs: longest, stallAt: at, error: m.error ?? null, samePc: m.pc === window.rtfx.pc,
    };
  });
}

/** The mean of `n` lumaStats of selector taken everyMs apart, with the single values. */
export async function lumaMean(page, selector, n = 3, everyMs = 150) {
  const all = [];
  for (let i = 0; i < n; i++) {
    if (i) await sleep(everyMs);
    const s = await lumaStats(page, selector);
    check(!s.error, `${page.rtfxName}: ${s.error}`);
    all.push(s);
  }
  const avg = (k) => all.reduce((sum, s) => sum + s[k], 0) / all.length;
  return { dark: avg('dark'), bright: avg('bright'), meanLuma: avg('meanLuma'), all };
}

/** A fake camera file showing a face: OpenCV's messi5.jpg (package opencv-doc), letterboxed to 640x480. */
export async function faceVideo() {
  const jpeg = '/usr/share/doc/opencv-doc/examples/data/messi5.jpg';
  if (!fs.existsSync(jpeg)) throw new Skip(`${jpeg} is missing (package opencv-doc)`);
  const y4m = path.join(os.tmpdir(), 'rtfx-face.y4m');
  const r = await runToExit('gst-launch-1.0', ['-q', 'filesrc', `location=${jpeg}`, '!', 'jpegdec', '!',
    'videoconvert', '!', 'videoscale', 'add-borders=true', '!',
    'video/x-raw,format=I420,width=640,height=480,pixel-aspect-ratio=1/1', '!',
    'imagefreeze', 'num-buffers=30', '!', 'video/x-raw,framerate=30/1', '!', 'y4menc', '!', 'filesink',
    `location=${y4m}`], 20000);
  check(r.code === 0, `making ${y4m} failed: ${r.stderr}`);
  return y4m;
}
