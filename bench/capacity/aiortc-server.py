#!/usr/bin/python3
"""Runs a copy of Debian's aiortc example server (python3-aiortc's examples/server/server.py, the
yardstick of bench/capacity) untouched, on loopback:

  aiortc-server.py [--example-dir DIR] -- [server.py's options, e.g. --host 127.0.0.1 --port P]

It copies the example's directory to a temporary one, makes aioice offer 127.0.0.1 (it leaves
loopback out of its host candidates, and in a namespace with only lo that is all there is), and
runs the copy as __main__."""

import argparse
import os
import runpy
import shutil
import sys
import tempfile

import aioice.ice

EXAMPLE_DIR = "/usr/share/doc/python3-aiortc/examples/server"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--example-dir", default=EXAMPLE_DIR,
                        help="the example's directory (default %s)" % EXAMPLE_DIR)
    parser.add_argument("server_args", nargs=argparse.REMAINDER,
                        help="after --: the example's own options")
    args = parser.parse_args()
    server_args = args.server_args[1:] if args.server_args[:1] == ["--"] else args.server_args
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]
    with tempfile.TemporaryDirectory(prefix="aiortc-server-") as tmp:
        copy = os.path.join(tmp, "server")
        shutil.copytree(args.example_dir, copy)
        sys.argv = [os.path.join(copy, "server.py")] + server_args
        runpy.run_path(sys.argv[0], run_name="__main__")


if __name__ == "__main__":
    main()
