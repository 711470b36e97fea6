// The session bench: whole WebRTC sessions of rtfx-launch and of Debian's aiortc example server, side
// by side in one run, in the same browser, alternating (rtfx, aiortc, rtfx, aiortc, ... for each
// round), on the same camera clip. Run it through run.sh, which puts it in a namespace with only lo.
//
//   node session-bench.mjs --launcher RTFX_LAUNCH --clip CLIP.y4m --out RESULTS.json [options]
//
// Options: --rounds N (3), --warmup S (5), --window S (10), --settle S (1), --browsers chromium,firefox,
// --workloads passthrough,edges,cartoon, --variants (rtfx-only contenders for the low-latency
// defaults), --rtfx-args JSON (more arguments for every rtfx-launch), --short (one round of edges,
// a few seconds each, in both browsers; fails unless every number was produced), --other-launcher LABEL=PATH
// (repeatable: another rtfx-launch binary as one more contender of the variants, e.g. a branch against main),
// --groups main,latency,playout,chain,slow,size,binary (only the sessions of these groups).
//
// Per session: the server is started fresh and waited for; the page is opened and #start clicked;
// then, after the warm-up, the steady window. The figures (README.md in this folder defines them):
// first frame, fps, round trip, received kb/s, QP, the server's CPU. Exit status: 0, 1 (a session
// failed), 77 (skipped: a browser or aiortc's packages are missing), 99 (set-up error).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import {
  FIREFOX_PREFS, Skip, check, cleanupAll, click, cpuSeconds, evaluate, freePort, jitterBufferMs, launchBrowser, log, onCleanup,
  pollUntil, sleep, startProcess, startServer, withTimeout,
} from '../../tests/e2e/lib.mjs';
import { benchProbe, benchRoundTrips, benchSnapshot } from './probe.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);

// The same processing on both sides: rtfx's chain (its default presets') and aiortc's transform.
const WORKLOADS = {
  passthrough: { rtfx: 'identity', aiortc: 'none' },
  edges: { rtfx: 'rtfxlatest ! rtfxedges', aiortc: 'edges' },
  cartoon: { rtfx: 'rtfxlatest ! rtfxcartoon', aiortc: 'cartoon' },
};

// rtfx-only contenders on the edges workload, for docs/performance.md's "Low-latency defaults".
// The default rtfx contender (--latency 50, rtfxlatest ! rtfxedges) is the reference of each group.
const SLOW = 'rtfxdelay delay-ms=50 ! rtfxedges';
const VARIANTS = [
  { group: 'latency', label: '--latency 0', args: ['--latency', '0'] },
  { group: 'latency', label: '--latency 200', args: ['--latency', '200'] },
  { group: 'playout', label: '--playout-delay 100', args: ['--playout-delay', '100'] },
  { group: 'chain', label: 'rtfxedges, no rtfxlatest', chain: 'rtfxedges' },
  { group: 'slow', label: 'rtfxlatest ! slow', chain: `rtfxlatest ! ${SLOW}` },
  { group: 'slow', label: 'slow alone', chain: SLOW },
  { group: 'slow', label: 'queue ! slow', chain: `queue ! ${SLOW}` },
  { group: 'slow', label: 'leaky 1-buffer queue ! slow',
    chain: `queue leaky=downstream max-size-buffers=1 max-size-bytes=0 max-size-time=0 ! ${SLOW}` },
  // aiortc's page does not ask Chromium to keep the camera's resolution, and Chromium then sends it 480x360: this one
  // gets 640x480, as rtfx does, for the CPU at equal size.
  { group: 'size', label: 'keeping 640×480', aiortc: { keepResolution: true } },
  // rtfx sends up to 2.5 Mbit/s, about twice aiortc's bitrate, at a much finer QP: this one sends about what aiortc
  // sends, for the CPU at equal or better quality with no more bits.
  { group: 'size', label: '--max-bitrate 1000', args: ['--max-bitrate', '1000'] },
];

// Firefox hides its host candidates behind mDNS names when it has no camera permission stored; rtfx-launch
// still connects through the peer-reflexive ones, but aioice gives up at once with no pair to check. Plain
// addresses for both servers, then.
FIREFOX_PREFS['media.peerconnection.ice.obfuscate_host_addresses'] = false;

const FIRST_FRAME_LIMIT_MS = 30000;
const PAGE_LIMIT_MS = 15000;

function parseArgs(argv) {
  const o = {
    launcher: null, clip: null, out: null, rounds: 3, warmup: 5, window: 10, settle: 1,
    browsers: ['chromium', 'firefox'], workloads: ['passthrough', 'edges', 'cartoon'], variants: false,
    rtfxArgs: [], short: false, otherLaunchers: [], groups: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--launcher': o.launcher = path.resolve(value()); break;
      case '--clip': o.clip = path.resolve(value()); break;
      case '--out': o.out = path.resolve(value()); break;
      case '--rounds': o.rounds = Number(value()); break;
      case '--warmup': o.warmup = Number(value()); break;
      case '--window': o.window = Number(value()); break;
      case '--settle': o.settle = Number(value()); break;
      case '--browsers': o.browsers = value().split(',').filter(Boolean); break;
      case '--workloads': o.workloads = value().split(',').filter(Boolean); break;
      case '--variants': o.variants = true; break;
      case '--rtfx-args': o.rtfxArgs = JSON.parse(value()).map(String); break;
      case '--short': o.short = true; break;
      case '--groups': o.groups = value().split(',').filter(Boolean); break;
      case '--other-launcher': {
        const [label, file] = value().split(/=(.*)/s);
        if (!label || !file) throw new Error('--other-launcher needs LABEL=PATH');
        o.otherLaunchers.push({ label, launcher: path.resolve(file) });
        break;
      }
      default: throw new Error(`unknown argument ${a}`);
    }
  }
  if (o.short) Object.assign(o, { rounds: 1, warmup: 1, window: 3, workloads: ['edges'], variants: false, otherLaunchers: [] });
  if (!o.launcher || !o.clip || !o.out) throw new Error('--launcher, --clip and --out are needed');
  for (const w of o.workloads) if (!WORKLOADS[w]) throw new Error(`unknown workload ${w}`);
  if (!(o.rounds >= 1 && o.warmup >= 0 && o.window > 0 && o.settle >= 0)) {
    throw new Error('bad --rounds, --warmup, --window or --settle');
  }
  return o;
}

// ---------------------------------------------------------------------------------------------------------------
// The two servers. start() resolves to {pid, url, stop()} once the server answers HTTP.

function rtfxContender(opts, chain, extra = [], launcher = opts.launcher) {
  const args = [...opts.rtfxArgs, ...extra, chain];
  return {
    server: 'rtfx',
    args: launcher === opts.launcher ? args : [launcher, ...args],
    async start() {
      const s = await startServer(launcher, { args });
      return { pid: s.pid, url: s.url, stop: () => stopProcess(s.proc, s.unregister), stderr: () => s.proc.stderr };
    },
    // The page's own Start: nothing to choose.
    async prepare() {},
  };
}

function aiortcContender(transform, { keepResolution = false } = {}) {
  return {
    server: 'aiortc',
    args: [`transform=${transform}`],
    async start() {
      const port = await freePort();
      const proc = startProcess('/usr/bin/python3', [path.join(here, 'aiortc-server.py'), '--port', String(port)],
                                { env: { ...process.env } });
      const unregister = onCleanup(() => stopProcess(proc, () => {}));
      const url = `http://127.0.0.1:${port}/`;
      try {
        await pollUntil(async () => {
          if (proc.exit) throw new Error(`aiortc's server exited (code ${proc.exit.code}): ${proc.stderr.slice(-2000)}`);
          try {
            return (await fetch(url, { signal: AbortSignal.timeout(1000) })).ok;
          } catch {
            return false;
          }
        }, 15000, "aiortc's server answering GET /");
      } catch (e) {
        await stopProcess(proc, unregister);
        throw e;
      }
      return { pid: proc.pid, url, stop: () => stopProcess(proc, unregister), stderr: () => proc.stderr };
    },
    // The example page's own controls: video only, 640x480, VP8 (rtfx's page prefers VP8 too), the transform.
    async prepare(page) {
      await evaluate(page, (t) => {
        const set = (id, v) => { document.getElementById(id)[typeof v === 'boolean' ? 'checked' : 'value'] = v; };
        set('use-datachannel', false);
        set('use-audio', false);
        set('use-video', true);
        set('video-resolution', '640x480');
        set('video-codec', 'VP8/90000');
        set('video-transform', t);
        return document.getElementById('video-transform').value === t;
      }, transform).then((ok) => check(ok, `aiortc's page has no transform ${transform}`));
      if (keepResolution) await evaluate(page, () => { window.rtfxBench.keepResolution = true; });
    },
  };
}

/** SIGTERM, then SIGKILL after 3 s; resolves to how it ended. */
async function stopProcess(proc, unregister) {
  if (!proc.exit) {
    try { process.kill(proc.pid, 'SIGTERM'); } catch { /* gone */ }
    const done = await Promise.race([proc.exited, sleep(3000).then(() => null)]);
    if (!done) {
      try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* gone */ }
      await withTimeout(proc.exited, 2000, 'server after SIGKILL').catch(() => {});
    }
  }
  unregister();
  return proc.exit;
}

// ---------------------------------------------------------------------------------------------------------------
// One session

async function openBenchPage(b, url, layout) {
  const page = await withTimeout(b.browser.newPage({ type: 'window' }), 10000, 'new window');
  page.logs = [];
  page.on('console', (m) => page.logs.push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => page.logs.push(`pageerror: ${e.message ?? e}`));
  // aiortc's page alert()s its errors: note them instead of hanging on the dialog.
  page.on('dialog', (d) => { page.logs.push(`dialog: ${d.message()}`); d.dismiss().catch(() => {}); });
  await withTimeout(page.evaluateOnNewDocument(benchProbe, layout), 5000, 'installing the probe');
  const res = await withTimeout(page.goto(url, { waitUntil: 'load', timeout: 10000 }), 12000, `loading ${url}`);
  check(res && res.status() === 200, `GET ${url} answered ${res ? res.status() : 'nothing'}`);
  await pollUntil(() => evaluate(page, () => Boolean(window.rtfxBench && document.querySelector('#start'))),
                  5000, 'the probe and #start');
  return page;
}

const median = (xs) => quantile(xs, 0.5);
function quantile(xs, q) {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q, lo = Math.floor(pos), hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/** CPU seconds of pid and of every process below it (a browser's renderers, GPU and utility processes). */
function treeCpuSeconds(pid) {
  const children = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch { /* gone meanwhile */ }
  }
  let total = 0;
  for (const queue = [pid]; queue.length;) {
    const p = queue.pop();
    try { total += cpuSeconds(p); } catch { /* gone meanwhile */ }
    queue.push(...(children.get(p) ?? []));
  }
  return total;
}

async function snapshot(page, serverPid, browserPid) {
  const cpu0 = cpuSeconds(serverPid), wall0 = performance.now();
  const s = await evaluate(page, benchSnapshot);
  const cpu1 = cpuSeconds(serverPid), wall1 = performance.now();
  const browserCpu = browserPid ? treeCpuSeconds(browserPid) : null;
  return { ...s, cpu: (cpu0 + cpu1) / 2, wall: (wall0 + wall1) / 2, browserCpu };
}

/** Runs one session; returns its figures (error set when it failed). */
async function runSession(b, spec, opts, layout) {
  const result = { browser: b.kind, workload: spec.workload, contender: spec.contender, group: spec.group,
                   server: spec.make.server, args: spec.make.args, round: spec.round };
  let server = null, page = null;
  const t0 = performance.now();
  try {
    server = await spec.make.start();
    page = await withTimeout(openBenchPage(b, server.url, b.kind === 'chromium' ? layout : null), PAGE_LIMIT_MS,
                             'opening the page');
    await spec.make.prepare(page);
    // A person reads the page before pressing Start: its loading work (scripts, first fetches) is not the session's.
    await sleep(opts.settle * 1000);
    await click(page, '#start');
    // Chromium plays the numbered clip: the first frame counts once its number can be read. Firefox's fake
    // camera carries no number: its first presented frame counts.
    const wantReadable = b.kind === 'chromium';
    const { value: first } = await pollUntil(async () => {
      const s = await evaluate(page, () => ({ clickAt: window.rtfxBench.clickAt, ...window.rtfxBench.remote }));
      const at = wantReadable ? s.firstReadableAt : s.firstAt;
      return at !== null && s.clickAt !== null ? { ...s, at } : null;
    }, FIRST_FRAME_LIMIT_MS, 'the first processed frame', { intervalMs: 50 });
    result.firstFrameMs = first.at - first.clickAt;
    result.firstAnyFrameMs = first.firstAt - first.clickAt;
    // rtfx's page keeps its steps from the click on (window.rtfx.timeline, docs/performance.md "First frame").
    result.timeline = await evaluate(page, () => window.rtfx?.timeline ?? null);
    await sleep(opts.warmup * 1000);
    const a = await snapshot(page, server.pid, b.child?.pid);
    await sleep(opts.window * 1000);
    const z = await snapshot(page, server.pid, b.child?.pid);
    Object.assign(result, figures(a, z));
    if (wantReadable) {
      const rts = await evaluate(page, benchRoundTrips, a.now, z.now);
      Object.assign(result, {
        rtMedianMs: median(rts), rtP90Ms: quantile(rts, 0.9), rtSamples: rts,
        rtMissing: z.rtMissing - a.rtMissing,
        remoteUnreadable: (z.remote.frames - a.remote.frames) - (z.remote.readable - a.remote.readable),
        remoteFramesInWindow: z.remote.frames - a.remote.frames,
      });
    }
    if (z.errors.length) result.pageErrors = z.errors;
  } catch (e) {
    result.error = e.message;
    if (page) result.pageLog = page.logs.slice(-15);
    if (server) result.serverLog = server.stderr().split('\n').filter(Boolean).slice(-15);
  } finally {
    if (page) await withTimeout(page.close(), 5000, 'closing the page').catch(() => {});
    if (server) {
      const exit = await server.stop();
      result.serverExit = exit ? { code: exit.code, signal: exit.signal } : null;
    }
  }
  result.sessionMs = performance.now() - t0;
  return result;
}

function figures(a, z) {
  const dt = (z.now - a.now) / 1000;
  const out = {
    windowS: dt,
    cpuPct: (100 * (z.cpu - a.cpu)) / ((z.wall - a.wall) / 1000),
    browserCpuPct: a.browserCpu === null ? null : (100 * (z.browserCpu - a.browserCpu)) / ((z.wall - a.wall) / 1000),
    presentedFps: (z.remote.frames - a.remote.frames) / dt,
    previewFps: (z.local.frames - a.local.frames) / dt,
    codec: z.codec,
  };
  const i0 = a.inbound, i1 = z.inbound;
  if (i0 && i1) {
    const it = (i1.t - i0.t) / 1000;
    const frames = i1.framesDecoded - i0.framesDecoded;
    Object.assign(out, {
      fps: frames / it,
      kbps: (8 * (i1.bytesReceived - i0.bytesReceived)) / it / 1000,
      qp: i1.qpSum !== null && i0.qpSum !== null && frames > 0 ? (i1.qpSum - i0.qpSum) / frames : null,
      width: i1.width, height: i1.height,
      jitterBufferMs: jitterBufferMs(i0, i1),
    });
  }
  const o0 = a.outbound, o1 = z.outbound;
  if (o0 && o1) {
    Object.assign(out, {
      sentKbps: (8 * (o1.bytesSent - o0.bytesSent)) / ((o1.t - o0.t) / 1000) / 1000,
      sentFps: (o1.framesEncoded - o0.framesEncoded) / ((o1.t - o0.t) / 1000),
      sentWidth: o1.width, sentHeight: o1.height, sentLimitation: o1.qualityLimitationReason,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// The run

/** The sessions of one round, alternating the servers; odd rounds start with aiortc, so neither always goes first. */
function roundSpecs(opts, round) {
  const specs = [];
  for (const w of opts.workloads) {
    const pair = [
      { workload: w, contender: 'rtfx', group: 'main', make: rtfxContender(opts, WORKLOADS[w].rtfx) },
      { workload: w, contender: 'aiortc', group: 'main', make: aiortcContender(WORKLOADS[w].aiortc) },
    ];
    specs.push(...(round % 2 ? pair.reverse() : pair));
  }
  return specs.map((s) => ({ ...s, round }));
}

function variantSpecs(opts, round) {
  const variants = [...(opts.variants ? VARIANTS : []), ...opts.otherLaunchers.map((o) => ({ group: 'binary', ...o }))];
  return variants.map((v) => ({
    workload: 'edges', contender: `${v.aiortc ? 'aiortc' : 'rtfx'} ${v.label}`, group: v.group, round,
    make: v.aiortc ? aiortcContender(WORKLOADS.edges.aiortc, v.aiortc)
      : rtfxContender(opts, v.chain ?? WORKLOADS.edges.rtfx, v.args ?? [], v.launcher),
  }));
}

function version(cmd, args) {
  try {
    return execFileSync(cmd, args, { timeout: 10000 }).toString().trim().split('\n')[0];
  } catch {
    return null;
  }
}

function machine() {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  return {
    cpu: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? null,
    cores: os.cpus().length,
    loadavg: fs.readFileSync('/proc/loadavg', 'utf8').trim(),
  };
}

const fmt = (x, d = 0) => (x === null || x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d));

function logResult(r) {
  if (r.error) {
    log(`  ${r.browser} ${r.workload} ${r.contender}: FAILED: ${r.error}`);
    for (const l of r.pageLog ?? []) log(`    page: ${l}`);
    for (const l of r.serverLog ?? []) log(`    server: ${l}`);
    return;
  }
  log(`  ${r.browser} ${r.workload} ${r.contender}: first frame ${fmt(r.firstFrameMs)} ms, ${fmt(r.fps, 1)} fps, ` +
      `round trip ${fmt(r.rtMedianMs)}/${fmt(r.rtP90Ms)} ms (median/p90, ${r.rtSamples?.length ?? 0} samples), ` +
      `${fmt(r.kbps)} kb/s, QP ${fmt(r.qp, 1)}, ${r.width}x${r.height}, server CPU ${fmt(r.cpuPct, 1)} % ` +
      `(browser: ${fmt(r.browserCpuPct)} %, preview ${fmt(r.previewFps, 1)} fps, sends ${fmt(r.sentFps, 1)} fps)`);
}

/** In --short mode: every figure a session of that browser should have. */
function missingFigures(r) {
  const want = ['firstFrameMs', 'fps', 'kbps', 'cpuPct'];
  // Firefox reports no qpSum, and its fake camera carries no frame number.
  if (r.browser === 'chromium') want.push('qp', 'rtMedianMs', 'rtP90Ms');
  return want.filter((k) => typeof r[k] !== 'number' || !Number.isFinite(r[k]));
}

/** One short session that is not counted, before browser b's first round: the browser's first camera and first
 * peer connection take it 100-200 ms longer to set up, and no contender should pay for that. */
async function browserFirstSession(b, opts, layout) {
  const spec = roundSpecs(opts, 0).find((s) => s.contender === 'rtfx');
  const r = await runSession(b, spec, { ...opts, warmup: 0, window: 1 }, layout);
  log(`${b.kind}: first session (not counted): ${r.error ? `FAILED: ${r.error}` : `first frame ${fmt(r.firstFrameMs)} ms`}`);
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`session-bench.mjs: ${e.message}`);
    return 99;
  }
  const layout = JSON.parse(fs.readFileSync(opts.clip.replace(/\.y4m$/, '.json'), 'utf8'));
  const probe = version('/usr/bin/python3', ['-c', 'import aiortc, aiohttp, cv2; print(aiortc.__version__)']);
  if (!probe) throw new Skip("aiortc's example needs python3-aiortc, python3-aiohttp and python3-opencv");
  const results = {
    meta: {
      date: new Date().toISOString(), machine: machine(), launcher: opts.launcher,
      rtfxVersion: version(opts.launcher, ['--version']), aiortcVersion: probe,
      rounds: opts.rounds, warmupS: opts.warmup, windowS: opts.window, settleS: opts.settle, workloads: opts.workloads,
      rtfxArgs: opts.rtfxArgs, variants: opts.variants ? VARIANTS : [], otherLaunchers: opts.otherLaunchers,
      clip: layout, browsers: {},
    },
    sessions: [],
  };
  const save = () => {
    results.meta.loadavgEnd = fs.readFileSync('/proc/loadavg', 'utf8').trim();
    fs.mkdirSync(path.dirname(opts.out), { recursive: true });
    fs.writeFileSync(opts.out, JSON.stringify(results, null, 1));
  };
  log(`session bench: ${opts.rounds} round(s), warm-up ${opts.warmup} s, window ${opts.window} s, ` +
      `settle ${opts.settle} s; ` +
      `load ${results.meta.machine.loadavg}`);
  for (const kind of opts.browsers) {
    let b;
    try {
      b = await launchBrowser(kind, { fakeVideo: kind === 'chromium' ? opts.clip : null });
    } catch (e) {
      if (e instanceof Skip && !opts.short) {
        log(`${kind}: skipped (${e.message})`);
        continue;
      }
      throw e;
    }
    results.meta.browsers[kind] = await b.browser.version();
    try {
      await browserFirstSession(b, opts, layout);
      for (let round = 0; round < opts.rounds; round++) {
        const specs = roundSpecs(opts, round);
        if (kind === 'chromium') specs.push(...variantSpecs(opts, round));
        if (opts.groups) specs.splice(0, specs.length, ...specs.filter((s) => opts.groups.includes(s.group)));
        log(`${kind}, round ${round + 1} of ${opts.rounds}:`);
        for (const spec of specs) {
          const r = await runSession(b, spec, opts, layout);
          logResult(r);
          results.sessions.push(r);
          save();
        }
      }
    } finally {
      await b.close();
    }
  }
  save();
  const failed = results.sessions.filter((r) => r.error);
  if (opts.short) {
    for (const r of results.sessions.filter((s) => !s.error)) {
      const missing = missingFigures(r);
      if (missing.length) failed.push({ ...r, error: `no ${missing.join(', ')}` });
    }
  }
  for (const r of failed) log(`FAILED: ${r.browser} ${r.workload} ${r.contender}: ${r.error}`);
  log(`results in ${opts.out}`);
  return failed.length ? 1 : 0;
}

let exiting = false;
async function finish(code, hurry = false) {
  if (exiting && !hurry) return;
  exiting = true;
  await cleanupAll({ hurry });
  process.exit(code);
}
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  process.on(sig, () => { log(`stopped by ${sig}`); finish(1, true); });
}
try {
  finish(await main());
} catch (e) {
  if (e instanceof Skip) {
    log(`SKIP: ${e.message}`);
    finish(77);
  } else {
    log(`FAILED: ${e.stack ?? e}`);
    finish(e.setup ? 99 : 1);
  }
}
