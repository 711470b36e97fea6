#!/usr/bin/python3
"""Debian's aiortc example server (package python3-aiortc), the session bench's other contender,
run unchanged from a copy:

  aiortc-server.py --port PORT [--example DIR]

Copies DIR (default: the Debian example) to a temporary folder and runs its server.py there as
the main program, on 127.0.0.1:PORT. One change from outside: aioice leaves loopback addresses out
of its host candidates, and in the bench's namespace 127.0.0.1 is the only address there is, so
it is told to use that one (tests/peer/aiortc-client.py does the same).
"""
import argparse
import os
import runpy
import shutil
import sys
import tempfile

import aioice.ice

EXAMPLE = "/usr/share/doc/python3-aiortc/examples/server"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--example", default=EXAMPLE)
    args = parser.parse_args()

    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]
    with tempfile.TemporaryDirectory(prefix="rtfx-aiortc-") as scratch:
        copy = os.path.join(scratch, "server")
        shutil.copytree(args.example, copy)
        server = os.path.join(copy, "server.py")
        sys.argv = [server, "--host", "127.0.0.1", "--port", str(args.port)]
        sys.path.insert(0, copy)
        runpy.run_path(server, run_name="__main__")


if __name__ == "__main__":
    main()
