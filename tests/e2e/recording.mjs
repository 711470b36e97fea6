// The scenarios of recording (docs/recording.md): --record-in and --record-out files finished after Stop, after a
// closed tab and after SIGTERM (their duration that of the session within 10 %, every frame decodable), the page's
// download links (and a wrong token's 404), a disk that fills up mid-session (the session goes on, the page is told
// once per recording), and a folder that cannot be written at start-up (exit 2).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  check, click, evaluate, inboundVideo, launchBrowser, log, offerH264Only, onCleanup, openPage, pageTimeline, pollUntil,
  recordSignaling, candidatePair, dropMedia, runToExit, serverCandidates, signalingLog, sleep, startServer, stopServer, waitForSessions, waitForState, withTimeout,
} from './lib.mjs';

const CONNECT_MS = 15000;
// Long enough that 10 % of it covers the few hundred ms between the page's "connected" (or the click) and the
// server's first (or last) frame.
const SESSION_MS = 6000;
const DURATION_TOLERANCE = 0.1;
// The server finishes a file within 1 s of the session's end (pipeline.c); the page then polls for it.
const READY_MS = 5000;
const CLOSED_TO_ZERO_MS = 5000;
const TOOL_MS = 30000;
const TIME_LIMIT_S = 6;
const PEER_TIMEOUT_S = 2;
// The container of each codec (docs/recording.md): its file name's end and MIME type.
const CONTAINERS = { VP8: { ext: 'webm', type: 'video/webm' }, H264: { ext: 'mkv', type: 'video/x-matroska' } };
const NAME = /^\d{8}-\d{6}-[0-9a-f]{8}-(in|out)\.(webm|mkv)$/;
const URL_PATH = /^recordings\/[0-9a-f]{32}\/(in|out)$/;
// A tmpfs this small fills up within seconds of video in both directions.
const SMALL_DISK = '384k';
const FAILED_MS = 30000;

/** A temporary folder for recordings, removed at the end (unmounted first if something was mounted on it). */
function recordDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rtfx-rec-'));
  onCleanup(async () => {
    await runToExit('umount', [dir], 5000).catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Mounts a tmpfs on dir (run.sh's namespace has a mount namespace of its own); options like 'size=384k' or 'ro'. */
async function mountTmpfs(dir, options) {
  const r = await runToExit('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], 5000);
  check(r.code === 0, `mount -t tmpfs -o ${options} on ${dir} failed: ${r.stderr.trim()}`);
}

/**
 * When page sent (`sent`) or received the first signaling message of type, on this process's clock: the page's own
 * record of it (recordSignaling), so that a busy machine's slow polling does not shift it.
 */
async function signaledAt(page, type, sent = false) {
  const before = performance.now();
  const log = await signalingLog(page, [type]);
  const after = performance.now();
  const entry = (sent ? log.sent : log.received)[0];
  check(entry, `${page.rtfxName}: no ${type} ${sent ? 'sent' : 'received'}`);
  return (before + after) / 2 - (log.now - entry.t);
}

/**
 * Clicks #start, waits for connected; returns when media began to flow: when the peer connection connected (ICE and
 * DTLS) or, if later, the camera opened (the offer does not wait for a camera the browser says is allowed already).
 * The page's timeline has both; the answer's arrival puts them on this side's clock.
 */
async function connect(page) {
  await click(page, '#start');
  const { value } = await waitForState(page, ['connected', 'failed'], CONNECT_MS);
  check(value.dataState === 'connected', `${page.rtfxName}: #status went to "failed" (${value.text})`);
  const answerAt = await signaledAt(page, 'answer');
  const steps = await pageTimeline(page);
  check(steps.has('connected') && steps.has('answer-received'), `the page's timeline: ${JSON.stringify([...steps])}`);
  const flowing = Math.max(steps.get('connected'), steps.get('camera') ?? 0);
  return answerAt + flowing - steps.get('answer-received');
}

/** Clicks #stop; returns when the page sent its bye. */
async function stop(page) {
  await click(page, '#stop');
  return signaledAt(page, 'bye', true);
}

/**
 * The `recording` message the page got: its files, checked ({direction, url, name}), one for each of directions, each
 * with the extension ext.
 */
async function recordingFiles(page, ext = 'webm', directions = ['in', 'out']) {
  const { value } = await pollUntil(async () => (await signalingLog(page, ['recording'])).received, 5000,
    `${page.rtfxName}: a recording message`, { describe: (v) => JSON.stringify(v) });
  check(value.length === 1, `${value.length} recording messages, not 1`);
  const { files } = value[0].msg;
  check(Array.isArray(files) && files.length === directions.length, `recording message: ${JSON.stringify(value[0].msg)}`);
  for (const f of files) {
    check(URL_PATH.test(f.url), `link ${f.url} is not recordings/TOKEN/DIRECTION`);
    check(NAME.test(f.name) && f.name.endsWith(`-${f.direction}.${ext}`), `file name ${f.name}`);
  }
  check(files.map((f) => f.direction).sort().join() === directions.join(), `the files are not ${directions}`);
  return files;
}

/** gst-discoverer-1.0's duration of file, in seconds, and its report. */
async function discover(file) {
  const r = await runToExit('gst-discoverer-1.0', [file], TOOL_MS);
  check(r.code === 0, `gst-discoverer-1.0 ${file}: exit ${r.code}: ${r.stderr.trim()} ${r.stdout.trim()}`);
  const m = r.stdout.match(/Duration: (\d+):(\d+):(\d+(?:\.\d+)?)/);
  check(m, `gst-discoverer-1.0 ${file} gives no duration:\n${r.stdout}`);
  return { seconds: Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]), report: r.stdout };
}

/** The buffers that reach a fakesink after `elements` (a gst-launch description between filesrc and the sink). */
async function countBuffers(file, elements) {
  const args = ['-v', 'filesrc', `location=${file}`, '!', ...elements, '!', 'fakesink', 'silent=false'];
  const r = await runToExit('gst-launch-1.0', args, TOOL_MS);
  check(r.code === 0, `gst-launch-1.0 ${args.join(' ')}: exit ${r.code}: ${r.stderr.trim().slice(-500)}`);
  return r.stdout.split('\n').filter((l) => /last-message = chain/.test(l)).length;
}

/**
 * A recording that plays to its end: gst-discoverer-1.0 finds its duration (which the muxer writes at the end of
 * stream), within DURATION_TOLERANCE of sessionSeconds, and every frame the demuxer gives is decoded.
 */
async function checkRecording(file, sessionSeconds, { audio = false } = {}) {
  const { seconds, report } = await discover(file);
  const frames = await countBuffers(file, ['matroskademux']);
  const decoded = await countBuffers(file, ['matroskademux', '!', 'decodebin']);
  log(`${path.basename(file)}: ${fs.statSync(file).size} bytes, ${seconds.toFixed(2)} s (session ` +
      `${sessionSeconds.toFixed(2)} s), ${frames} frames, ${decoded} decoded`);
  check(Math.abs(seconds - sessionSeconds) <= DURATION_TOLERANCE * sessionSeconds,
        `${path.basename(file)} lasts ${seconds.toFixed(2)} s, not within ${100 * DURATION_TOLERANCE} % of the ` +
        `session's ${sessionSeconds.toFixed(2)} s`);
  check(frames > 0 && decoded === frames, `${path.basename(file)}: ${decoded} of ${frames} frames decoded`);
  if (audio) {
    check(/audio\/x-opus|Opus/.test(report), `${path.basename(file)} has no Opus track:\n${report}`);
    const sound = await countBuffers(file, ['matroskademux', '!', 'audio/x-opus', '!', 'opusdec']);
    log(`${path.basename(file)}: ${sound} Opus frames decoded`);
    // 20 ms a frame: most of the session's sound is there.
    check(sound >= 0.8 * sessionSeconds * 50, `${path.basename(file)}: ${sound} Opus frames for ${sessionSeconds} s`);
  }
}

/** GET url from here: {status, headers, body (a Buffer)}. */
async function get(url) {
  const res = await fetch(url, { signal: AbortSignal.timeout(10000) });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

/** Polls the link until the server has finished its file (200), within READY_MS. */
async function whenReady(url) {
  const { value } = await pollUntil(async () => {
    const r = await get(url);
    check(r.status === 200 || r.status === 503, `GET ${url}: ${r.status}, not 200 or 503`);
    return r.status === 200 ? r : null;
  }, READY_MS, `GET ${url} answering 200`, { describe: () => 'still 503' });
  return value;
}

/**
 * Stop: the page lists both files once the server has finished them; each link gives its file (the bytes on disk,
 * with the right Content-Type and Content-Disposition); each file lasts as long as the session and decodes; a link
 * with another token, another direction, or no file is 404. In codec (VP8, or H264: the page offers only that).
 */
export async function recordingStop(binary, { codec = 'VP8', audio = false } = {}) {
  const container = CONTAINERS[codec];
  const dir = recordDir();
  const browser = await launchBrowser('chromium');
  const server = await startServer(binary, { args: ['--record-in', dir, '--record-out', dir,
    ...(audio ? ['--audio'] : [])] });
  const init = codec === 'H264' ? `(${recordSignaling})(); (${offerH264Only})();` : recordSignaling;
  const page = await openPage(browser, server.url, 'stop', { init });
  const connectedAt = await connect(page);
  const files = await recordingFiles(page, container.ext);
  await sleep(Math.max(0, connectedAt + SESSION_MS - performance.now()));
  const seconds = (await stop(page) - connectedAt) / 1000;

  const { value: links } = await pollUntil(async () => evaluate(page, () => {
    const section = document.querySelector('#recordings');
    const a = [...section.querySelectorAll('a[data-direction]')];
    return !section.hidden && a.length === 2 && a.every((l) => l.dataset.ready === 'true') ?
      a.map((l) => ({ direction: l.dataset.direction, href: l.href, download: l.download })) : null;
  }), READY_MS, '#recordings with two finished links');
  log(`page offers ${JSON.stringify(links)}`);
  check(fs.readdirSync(dir).sort().join() === files.map((f) => f.name).sort().join(),
        `${dir} holds ${fs.readdirSync(dir).join(', ')}, not the two files named to the page`);

  for (const f of files) {
    const link = links.find((l) => l.direction === f.direction);
    check(link && link.href === new URL(f.url, server.url).href && link.download === f.name,
          `the page's ${f.direction} link ${JSON.stringify(link)} is not ${f.url}`);
    const file = path.join(dir, f.name);
    const r = await get(link.href);
    check(r.status === 200, `GET ${link.href}: ${r.status}`);
    check(r.headers.get('content-type') === container.type, `Content-Type ${r.headers.get('content-type')}`);
    check(r.headers.get('content-disposition') === `attachment; filename="${f.name}"`,
          `Content-Disposition ${r.headers.get('content-disposition')}`);
    check(r.body.equals(fs.readFileSync(file)), `GET ${f.url} is not the file ${file}`);
    await checkRecording(file, seconds, { audio });
  }

  const token = files[0].url.split('/')[1];
  const other = token.replace(/^./, (c) => (c === '0' ? '1' : '0'));
  const wrong = [`recordings/${other}/in`, `recordings/${token}/both`, `recordings/${token}`, 'recordings/',
    `recordings/${token}/in/x`, `recordings/${token}/..%2F..%2F${files[0].name}`, `recordings/${token}/${files[0].name}`];
  for (const p of wrong) {
    const r = await get(new URL(p, server.url).href);
    log(`GET /${p}: ${r.status}`);
    // libsoup itself refuses a path with an encoded "..": 400 before any handler.
    check(r.status === 404 || (p.includes('..') && r.status === 400), `GET /${p} answered ${r.status}, not 404`);
  }
  await browser.close();
  await stopServer(server);
}

/** The files of a page's session, once its links answer 200 (the server has finished them), each checked. */
async function checkFinished(server, dir, files, seconds) {
  for (const f of files) {
    await whenReady(new URL(f.url, server.url).href);
    await checkRecording(path.join(dir, f.name), seconds);
  }
}

/**
 * A session whose media path is lost (all UDP and the server's ICE-TCP dropped, as when ICE fails; the server ends it after --peer-timeout
 * without video): its files end where the video stopped, and play to that end.
 */
async function mediaLost(browser, server, dir) {
  const page = await openPage(browser, server.url, 'lost', { init: recordSignaling });
  const connectedAt = await connect(page);
  const files = await recordingFiles(page);
  await sleep(Math.max(0, connectedAt + SESSION_MS - performance.now()));
  const lostAt = performance.now();
  const passive = (await serverCandidates(page)).filter((c) => c.tcpType === 'passive').map((c) => c.port);
  const restore = await dropMedia(new Set(passive));
  try {
    const { value: bye } = await pollUntil(async () => (await signalingLog(page, ['bye'])).received[0] ?? null,
      PEER_TIMEOUT_S * 1000 + CLOSED_TO_ZERO_MS, 'the bye of a session without video', { intervalMs: 50 })
      .catch(async (e) => {
        // What the server still saw (frames in, per its stats) and the path the page was on, for the next reader.
        const stats = (await signalingLog(page, ['stats'])).received.slice(-4).map((m) => JSON.stringify(m.msg));
        log(`no bye; the server's last stats: ${stats.join(' ')}; the page's ICE pair: ${await candidatePair(page)}`);
        throw e;
      });
    log(`media lost: bye ${JSON.stringify(bye.msg)}`);
    check(bye.msg.code === 'no-video', `bye ${JSON.stringify(bye.msg)}, not no-video`);
  } finally {
    await restore();
  }
  await checkFinished(server, dir, files, (lostAt - connectedAt) / 1000);
}

/**
 * A session ended by --time-limit, one whose media path is lost, one ended by closing its tab, then one ended by the
 * server's SIGTERM: every session's files play to their end.
 */
export async function recordingEnds(binary) {
  const dir = recordDir();
  const browser = await launchBrowser('chromium');
  let server = await startServer(binary, { args: ['--record-in', dir, '--record-out', dir, '--time-limit',
    String(TIME_LIMIT_S)] });
  const limited = await openPage(browser, server.url, 'limited', { init: recordSignaling });
  let connectedAt = await connect(limited);
  const limitedFiles = await recordingFiles(limited);
  const { value: bye } = await pollUntil(async () => (await signalingLog(limited, ['bye'])).received[0] ?? null,
    TIME_LIMIT_S * 1000 + CLOSED_TO_ZERO_MS, 'the time limit\'s bye', { intervalMs: 50 });
  let endedAt = await signaledAt(limited, 'bye');
  check(bye.msg.code === 'time-limit', `bye ${JSON.stringify(bye.msg)}`);
  await checkFinished(server, dir, limitedFiles, (endedAt - connectedAt) / 1000);
  await stopServer(server);

  server = await startServer(binary, { args: ['--record-in', dir, '--record-out', dir, '--peer-timeout',
    String(PEER_TIMEOUT_S)] });
  await mediaLost(browser, server, dir);

  const closed = await openPage(browser, server.url, 'closed', { init: recordSignaling });
  connectedAt = await connect(closed);
  const closedFiles = await recordingFiles(closed);
  await sleep(Math.max(0, connectedAt + SESSION_MS - performance.now()));
  // The page's video stops somewhere while the tab closes (a few hundred ms): the session ends when it has closed.
  await withTimeout(closed.close(), 5000, 'closing the tab');
  endedAt = performance.now();
  await waitForSessions(server, 0, CLOSED_TO_ZERO_MS);
  await checkFinished(server, dir, closedFiles, (endedAt - connectedAt) / 1000);

  const live = await openPage(browser, server.url, 'live', { init: recordSignaling });
  connectedAt = await connect(live);
  const liveFiles = await recordingFiles(live);
  await sleep(Math.max(0, connectedAt + SESSION_MS - performance.now()));
  endedAt = performance.now();
  await stopServer(server);
  for (const f of liveFiles) await checkRecording(path.join(dir, f.name), (endedAt - connectedAt) / 1000);
  await browser.close();
}

/**
 * What there is to record in the other modes: in sendonly the page's video only (--record-out is refused there), in
 * recvonly the video sent (of the server's source; --record-in is refused). Each file plays to its end after Stop.
 */
export async function recordingModes(binary) {
  const dir = recordDir();
  const browser = await launchBrowser('chromium');
  for (const [mode, option, direction, more] of [
    ['sendonly', '--record-in', 'in', []],
    ['recvonly', '--record-out', 'out', ['--source', 'videotestsrc is-live=true ! video/x-raw,width=640,height=480,framerate=30/1']],
  ]) {
    const server = await startServer(binary, { args: ['--mode', mode, ...more, option, dir] });
    const page = await openPage(browser, server.url, mode, { init: recordSignaling });
    const connectedAt = await connect(page);
    const files = await recordingFiles(page, 'webm', [direction]);
    await sleep(Math.max(0, connectedAt + SESSION_MS - performance.now()));
    const stoppedAt = await stop(page);
    await checkFinished(server, dir, files, (stoppedAt - connectedAt) / 1000);
    await stopServer(server);
  }
  await browser.close();
}

/**
 * A disk that fills up while both directions record: each recording stops with one `recording-failed` (told once),
 * the page says so, the video goes on, and after Stop nothing is offered for the failed files (404).
 */
export async function recordingFullDisk(binary) {
  const dir = recordDir();
  await mountTmpfs(dir, `size=${SMALL_DISK}`);
  const browser = await launchBrowser('chromium');
  const server = await startServer(binary, { args: ['--record-in', dir, '--record-out', dir] });
  const page = await openPage(browser, server.url, 'full', { init: recordSignaling });
  await connect(page);
  const files = await recordingFiles(page);

  const failures = async () => (await signalingLog(page, ['recording-failed'])).received.map((e) => e.msg);
  const { value: failed, ms } = await pollUntil(async () => {
    const f = await failures();
    return f.length >= 2 ? f : null;
  }, FAILED_MS, 'recording-failed for both recordings');
  log(`disk full after ${Math.round(ms)} ms: ${JSON.stringify(failed)}; ${dir} holds ` +
      `${fs.readdirSync(dir).map((n) => `${n} (${fs.statSync(path.join(dir, n)).size} bytes)`).join(', ')}`);
  const shown = await evaluate(page, () => {
    const e = document.querySelector('#recording-error');
    return e && !e.hidden ? e.textContent : null;
  });
  log(`#recording-error: ${JSON.stringify(shown)}`);
  check(shown && shown.includes(failed.at(-1).reason), '#recording-error does not show the reason');

  // The session goes on: the page keeps decoding, the server keeps its session, nobody is told twice.
  const a = await inboundVideo(page);
  await sleep(3000);
  const b = await inboundVideo(page);
  const state = await evaluate(page, () => window.rtfx.state);
  const again = await failures();
  log(`after the disk filled: ${b.framesDecoded - a.framesDecoded} frames decoded in 3 s, state ${state}, ` +
      `${again.length} recording-failed messages`);
  check(state === 'connected', `the page is ${state} after the disk filled`);
  check(b.framesDecoded - a.framesDecoded > 0, 'no frame decoded after the disk filled');
  check((await waitForSessions(server, 1, 1000)).value.sessions === 1, 'the session is gone');
  for (const d of ['in', 'out']) {
    const n = again.filter((m) => m.direction === d).length;
    check(n === 1, `${n} recording-failed messages for ${d}, not 1`);
  }

  await click(page, '#stop');
  await waitForSessions(server, 0, CLOSED_TO_ZERO_MS);
  const offered = await evaluate(page, () => document.querySelectorAll('#recordings a').length);
  check(offered === 0, `the page offers ${offered} files of failed recordings`);
  for (const f of files) {
    const r = await get(new URL(f.url, server.url).href);
    check(r.status === 404, `GET ${f.url} of a failed recording answered ${r.status}, not 404`);
  }
  await browser.close();
  await stopServer(server);
}

/** A folder that cannot be written (a read-only mount: root ignores permissions), or none: exit 2, one line. */
export async function recordingBadDir(binary) {
  const readOnly = recordDir();
  await mountTmpfs(readOnly, 'ro');
  const cases = [
    { args: ['--record-in', readOnly], names: ['--record-in', readOnly] },
    { args: ['--record-out', path.join(readOnly, 'none')], names: ['--record-out', 'none'] },
  ];
  for (const c of cases) {
    const r = await runToExit(binary, c.args, 5000);
    const lines = r.stderr.split('\n').map((l) => l.trim()).filter(Boolean)
      .filter((l) => !/^\(.*:\d+\): [\w-]+-WARNING \*\*/.test(l));
    log(`rtfx-launch ${c.args.join(' ')}: exit ${r.code}; stderr ${JSON.stringify(lines)}`);
    check(r.code === 2, `exit status ${r.code ?? `signal ${r.signal}`}, not 2`);
    check(lines.length === 1, `stderr has ${lines.length} lines, not 1`);
    for (const n of c.names) check(lines[0].includes(n), `the message does not name ${n}`);
  }
}
