"""The UDP traffic of the test's own network namespace (run-in-netns.sh): is media flowing, and
dropping all of it. Only the test's server and peers are in that namespace, so every UDP datagram
on its lo is theirs: ICE checks and DTLS are a few a second, video is tens (rtfx-test-peer prints
nothing until it ends, so this is how a test knows the video flows).
"""

import subprocess
import time

# Per session. A datagram is counted once, when lo delivers it: both directions add up here.
MEDIA_DATAGRAMS_PER_S = 20
MEDIA_SECONDS = 2


def udp_datagrams():
    """UDP datagrams received in this network namespace so far (/proc/net/snmp, Udp InDatagrams)."""
    with open("/proc/net/snmp") as f:
        rows = [line.split() for line in f if line.startswith("Udp:")]
    return int(rows[1][rows[0].index("InDatagrams")])


def wait_media(timeout_s, sessions=1):
    """True once MEDIA_DATAGRAMS_PER_S for each of sessions or more came in each second for
    MEDIA_SECONDS in a row, False if that did not happen within timeout_s."""
    deadline = time.monotonic() + timeout_s
    good = 0
    last = udp_datagrams()
    while time.monotonic() < deadline:
        time.sleep(1)
        now = udp_datagrams()
        good = good + 1 if now - last >= MEDIA_DATAGRAMS_PER_S * sessions else 0
        last = now
        if good >= MEDIA_SECONDS:
            return True
    return False


NFT_DROP_UDP = [
    ["add", "table", "inet", "rtfxtest"],
    ["add", "chain", "inet", "rtfxtest", "out", "{ type filter hook output priority 0; }"],
    ["add", "rule", "inet", "rtfxtest", "out", "meta", "l4proto", "udp", "drop"],
]


def drop_all():
    """Drops every UDP datagram sent in this namespace from now on (TCP goes on), with nft: the
    table belongs to the namespace, never to the machine's own."""
    for args in NFT_DROP_UDP:
        subprocess.run(["nft"] + args, check=True, timeout=10)


def stop_dropping():
    subprocess.run(["nft", "delete", "table", "inet", "rtfxtest"], timeout=10,
                   stderr=subprocess.DEVNULL)
