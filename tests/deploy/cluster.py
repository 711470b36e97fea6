#!/usr/bin/python3
"""Two rtfx-launch instances behind Debian's nginx with deploy/nginx-rtfx-cluster.conf, the pages
played by rtfx-test-peer. Meant to run inside tests/launcher/run-in-netns.sh (only lo, so the fixed
addresses and ports below are this test's own):

  cluster.py --launcher RTFX_LAUNCH --peer RTFX_TEST_PEER --conf NGINX_CLUSTER_CONF

Instance A on 127.0.0.2:8080 with --max-sessions 1, B on 127.0.0.3:8080 with --max-sessions 3,
each with its own --ice-address; nginx on 127.0.0.1:8081 with the file as it is but for the
instances' addresses. nginx knows nothing of their --max-sessions. Checks, each through nginx:
  spread  two pages held open land on different instances (their /status count one each);
  full    a third and a fourth go to B: for the fourth least_conn alone would pick A (1 < 2),
          which is full and refuses the upgrade (503);
  media   meanwhile each instance's UDP sockets are on its own address only, and nginx has none;
  busy    with both full, a fifth page is told the server is busy (a bye, not a failed websocket);
  recordings  both record what their pages send (--record-in): each held page's file is on one
          instance only (the other answers 404 for its link), and its link through nginx
          downloads it, twice in a row (so at least once from the instance without it first);
  dead    with the pages gone, nginx started afresh and A stopped, two new pages still get their
          video (from B), and nginx's log shows it tried A;
  silent  the same with A's address dropping connections (nftables) rather than refusing them:
          nginx's log shows it gave up on A (proxy_connect_timeout).
Every page must get its frames back. Exit status: 0 pass, 1 fail, 77 skipped, 99 set-up error."""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "soak"))
import rtfx_server  # noqa: E402  (tests/soak: rtfx-launch as a child process)

NGINX = "/usr/sbin/nginx"
FRONT = "127.0.0.1:8081"
ORIGIN = "http://" + FRONT
INSTANCES = {"A": ("127.0.0.2", 1), "B": ("127.0.0.3", 3)}   # address, --max-sessions
START_S = 20
SETTLE_S = 20       # for a page's session to show in /status, or to leave it
PEER_S = 60         # bound on one page
FRAMES = 10

HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class SetupError(Exception):
    pass


def get(url):
    with HTTP.open(url, timeout=2) as reply:
        return reply.status, reply.read()


def status_of(url):
    """(HTTP status, body) of a GET, errors included."""
    try:
        return get(url)
    except urllib.error.HTTPError as e:
        return e.code, b""


def wait_until(what, predicate, bound_s):
    deadline = time.monotonic() + bound_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise SetupError("%s: not within %d s" % (what, bound_s))


class Instance:
    """One rtfx-launch of the cluster: its own address (for its media too), port 8080, its recordings
    in a folder of its own."""

    def __init__(self, launcher, name, address, max_sessions, work):
        self.name, self.address = name, address
        recordings = os.path.join(work, "recordings-" + name)
        os.mkdir(recordings)
        self.server = rtfx_server.Server(
            launcher, ["--max-sessions", str(max_sessions), "--ice-address", address,
                       "--allowed-origin", ORIGIN, "--max-connections-per-address", "0",
                       "--record-in", recordings, "identity"],
            address=address, port=8080)
        try:
            self.server.start()
        except RuntimeError as e:
            raise SetupError("instance %s: %s" % (name, e))

    def sessions(self):
        return self.server.sessions()

    def output(self):
        return self.server.log_text()

    def stop(self):
        if self.server.proc.poll() is None:
            self.server.stop(10)


class Page:
    """rtfx-test-peer through nginx; a held one keeps its session until stop(). Its progress lines
    say how many frames came back so far."""

    def __init__(self, peer, name, hold):
        self.name = name
        self.frames_back = 0
        self.lines = []
        args = [peer, "--url", "ws://%s/ws" % FRONT, "--origin", ORIGIN, "--frames", str(FRAMES),
                "--timeout-ms", str(PEER_S * 1000), "--progress-ms", "100"]
        self.proc = subprocess.Popen(args + (["--hold-until-eof"] if hold else []),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.reader = threading.Thread(target=self.read, daemon=True)
        self.reader.start()

    def read(self):
        for line in self.proc.stdout:
            self.lines.append(line)
            try:
                self.frames_back = json.loads(line).get("frames_back", self.frames_back)
            except ValueError:
                pass

    def stop(self):
        """Ends the page; returns (exit status, its JSON report)."""
        self.proc.stdin.close()
        try:
            self.proc.wait(PEER_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None, {"errors": ["did not end within %d s" % PEER_S]}
        self.reader.join(5)
        try:
            report = json.loads(self.lines[-1])
        except (IndexError, ValueError):
            report = {"errors": ["no JSON line: %r" % self.lines[-3:]]}
        print("page %s: exit %s, %s" % (self.name, self.proc.returncode, json.dumps(report)),
              flush=True)
        return self.proc.returncode, report


def start_nginx(conf, work):
    site = open(conf).read()
    for address, _ in INSTANCES.values():
        site = site.replace("10.0.0.%s:" % address.split(".")[-1], address + ":")
    directives = re.sub(r"#.*", "", site)
    if "10.0.0." in directives or "listen %s;" % FRONT not in directives:
        raise SetupError("%s: addresses or the listening port are not the ones expected" % conf)
    with open(os.path.join(work, "site.conf"), "w") as f:
        f.write(site)
    with open(os.path.join(work, "nginx.conf"), "w") as f:
        f.write("daemon off; pid %(w)s/nginx.pid; error_log stderr;\n"
                "events {} http { access_log off; client_body_temp_path %(w)s;\n"
                "  proxy_temp_path %(w)s; fastcgi_temp_path %(w)s; uwsgi_temp_path %(w)s;\n"
                "  scgi_temp_path %(w)s; include %(w)s/site.conf; }\n" % {"w": work})
    log = open(os.path.join(work, "nginx.log"), "w+")
    proc = subprocess.Popen([NGINX, "-c", os.path.join(work, "nginx.conf"), "-p", work],
                            stdout=log, stderr=subprocess.STDOUT)

    def up():
        try:
            return get("http://%s/" % FRONT)[0] == 200
        except OSError:
            if proc.poll() is not None:
                log.seek(0)
                raise SetupError("nginx exited:\n" + log.read())
            return False
    wait_until("nginx serving the page", up, START_S)
    return proc


def drop_connections_to(address):
    """From now on, connections to address:8080 go unanswered (this namespace's own nftables)."""
    rules = ("table ip rtfx_cluster_test {\n chain out {\n"
             "  type filter hook output priority 0; policy accept;\n"
             "  ip daddr %s tcp dport 8080 drop\n }\n}\n" % address)
    done = subprocess.run(["nft", "-f", "-"], input=rules, text=True, capture_output=True)
    if done.returncode != 0:
        raise SetupError("nft: %s" % done.stderr)


def stop(nginx):
    nginx.terminate()
    try:
        nginx.wait(10)
    except subprocess.TimeoutExpired:
        nginx.kill()
        nginx.wait()


def counts(instances):
    return {name: i.sessions() for name, i in instances.items()}


def settle(instances, want):
    """Waits (bounded) for the instances' /status to count `want` sessions; returns the counts."""
    deadline = time.monotonic() + SETTLE_S
    seen = counts(instances)
    while seen != want and time.monotonic() < deadline:
        time.sleep(0.1)
        seen = counts(instances)
    return seen


def check_page(failures, name, status, report):
    if status != 0 or report.get("frames_back", 0) < FRAMES:
        failures.append("page %s: exit %s, %s frames back, errors %s"
                        % (name, status, report.get("frames_back"), report.get("errors")))


def check_recording(failures, instances, name, links):
    """The page's recording: on one instance only, and downloaded through nginx, twice."""
    if len(links) != 1:
        failures.append("recordings: page %s was given %d links, not 1: %s"
                        % (name, len(links), links))
        return
    holders = [n for n, i in instances.items()
               if status_of("http://%s:8080/%s" % (i.address, links[0]))[0] != 404]
    if len(holders) != 1:
        failures.append("recordings: page %s's link is known to %s, not to one instance"
                        % (name, holders))
    url = "http://%s/%s" % (FRONT, links[0])
    bodies = []
    for _ in range(2):
        # 503: still being written.
        code, body = wait_until("page %s's recording finished" % name,
                                lambda: (lambda r: r if r[0] != 503 else None)(status_of(url)),
                                SETTLE_S)
        bodies.append(body)
        if code != 200 or not body:
            failures.append("recordings: page %s's link through nginx: %d, %d bytes"
                            % (name, code, len(body)))
    print("recordings: page %s's file (on %s): %s bytes through nginx, twice"
          % (name, holders, [len(b) for b in bodies]), flush=True)
    if bodies[0] != bodies[1]:
        failures.append("recordings: page %s's two downloads differ" % name)


def udp_sockets():
    """(process name, pid, local address) of every UDP socket in this namespace (ss)."""
    out = subprocess.run(["ss", "-u", "-a", "-n", "-p"], capture_output=True, text=True,
                         timeout=10).stdout
    found = set()
    for line in out.splitlines()[1:]:
        address = line.split()[3].rsplit(":", 1)[0]
        for name, pid in re.findall(r'\("([^"]+)",pid=(\d+),', line):
            found.add((name, int(pid), address))
    return found


def nginx_log(work, words):
    with open(os.path.join(work, "nginx.log")) as log:
        return [line for line in log if all(w in line for w in words)]


class Cluster:
    """The instances and nginx in front, and the pages that go through it."""

    def __init__(self, args, work):
        self.args, self.work = args, work
        self.instances = {}
        self.pages = []
        self.nginx = None
        self.failures = []

    def run(self):
        try:
            for name, (address, max_sessions) in INSTANCES.items():
                self.instances[name] = Instance(self.args.launcher, name, address,
                                                max_sessions, self.work)
            self.nginx = start_nginx(self.args.conf, self.work)
            self.spread_and_fill()
            self.media_direct()
            self.busy()
            self.end_held_pages()
            self.dead_or_silent("dead", lambda: self.instances["A"].stop(),
                                ("refused", INSTANCES["A"][0]))
            self.dead_or_silent("silent", lambda: drop_connections_to(INSTANCES["A"][0]),
                                ("timed out", INSTANCES["A"][0]))
        finally:
            self.stop()
        return self.failures

    def page(self, name, hold):
        page = Page(self.args.peer, name, hold)
        if hold:
            self.pages.append(page)
        return page

    def spread_and_fill(self):
        self.page("1", hold=True)
        wait_until("page 1's session",
                   lambda: sum(counts(self.instances).values()) == 1, SETTLE_S)
        for n, want in (("2", {"A": 1, "B": 1}), ("3", {"A": 1, "B": 2}),
                        ("4", {"A": 1, "B": 3})):
            self.page(n, hold=True)
            seen = settle(self.instances, want)
            print("page %s: sessions %s" % (n, seen), flush=True)
            if seen != want:
                check = "spread" if n == "2" else "full"
                self.failures.append("%s: after page %s the sessions are %s, not %s"
                                     % (check, n, seen, want))
        # The held pages get their video before they are ended (and checked).
        try:
            wait_until("the held pages' frames",
                       lambda: all(p.frames_back >= FRAMES or p.proc.poll() is not None
                                   for p in self.pages), PEER_S)
        except SetupError as e:
            self.failures.append(str(e))

    def media_direct(self):
        """Each instance's media sockets are on its own --ice-address; nginx has none."""
        sockets = udp_sockets()
        for name, instance in self.instances.items():
            mine = {address for _, pid, address in sockets if pid == instance.server.pid}
            print("media: instance %s's UDP sockets are on %s" % (name, sorted(mine)), flush=True)
            if mine != {instance.address}:
                self.failures.append("media: instance %s has UDP sockets on %s, not only on %s"
                                     % (name, sorted(mine), instance.address))
        proxied = [s for s in sockets if s[0] == "nginx"]
        if proxied:
            self.failures.append("media: nginx has UDP sockets: %s" % proxied)

    def busy(self):
        status, report = self.page("5", hold=False).stop()
        if "busy" not in (report.get("bye") or ""):
            self.failures.append("busy: a page with both instances full was not told the server "
                                 "is busy: exit %s, bye %r, errors %s"
                                 % (status, report.get("bye"), report.get("errors")))

    def end_held_pages(self):
        reports = []
        for page in self.pages:
            status, report = page.stop()
            check_page(self.failures, page.name, status, report)
            reports.append((page.name, report))
        self.pages = []
        settle(self.instances, {"A": 0, "B": 0})
        for name, report in reports:
            check_recording(self.failures, self.instances, name, report.get("recordings") or [])

    def dead_or_silent(self, what, break_a, log_words):
        """With nginx afresh (the full instances above are still left out for fail_timeout) and
        instance A broken by break_a, two pages get their video, and nginx's log shows it tried A."""
        stop(self.nginx)
        self.nginx = start_nginx(self.args.conf, self.work)
        break_a()
        for n in ("6", "7") if what == "dead" else ("8", "9"):
            check_page(self.failures, n, *self.page(n, hold=False).stop())
        tried = nginx_log(self.work, log_words)
        print("%s: nginx's log: %s" % (what, tried[:1]), flush=True)
        if not tried:
            self.failures.append("%s: nginx's log has no line with %s" % (what, log_words))

    def stop(self):
        for page in self.pages:
            page.proc.kill()
            page.proc.wait()
        for instance in self.instances.values():
            instance.stop()
        if self.nginx is not None:
            stop(self.nginx)
        if self.failures:
            for name, instance in self.instances.items():
                print("--- instance %s's log:\n%s" % (name, instance.output()[-3000:]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--launcher", required=True)
    parser.add_argument("--peer", required=True)
    parser.add_argument("--conf", required=True)
    args = parser.parse_args()
    for program in (NGINX, "/usr/sbin/nft"):
        if not os.path.exists(program):
            print("SKIP: %s is not installed" % program)
            return 77
    work = tempfile.mkdtemp(prefix="rtfx-cluster-")
    try:
        failures = Cluster(args, work).run()
    except SetupError as e:
        print("set-up error:", e)
        return 99
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for failure in failures:
        print("FAIL:", failure)
    if not failures:
        print("PASS: spread, full, media, busy, recordings, dead, silent")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
