#!/usr/bin/python3
"""A second, independent WebRTC stack against rtfx-launch: Debian's aiortc (python3-aiortc) as the
page, over our protocol (docs/protocol.md) with python3-websockets. It offers VP8 from a synthetic
640x480@30 track (and no data channel, see send_offer), trickles nothing (aiortc puts its candidates in the offer) and takes the server's
trickled ones, and counts the frames that come back:

  aiortc-client.py --url ws://127.0.0.1:PORT/ws [--frames 30] [--timeout 30]

Prints one JSON line {"hello", "answer", "frames_back", "fps_back", "first_frame_ms", "bye",
"errors"} like rtfx-test-peer; exit 0 once --frames came back within --timeout seconds, else 1."""

import argparse
import asyncio
import fractions
import json
import sys
import time

import aioice.ice
import numpy
from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription, VideoStreamTrack
from aiortc.sdp import candidate_from_sdp
from av import VideoFrame
import websockets

# aioice leaves 127.0.0.1 out of its host candidates; in a namespace with only lo it is all there is.
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]

WIDTH, HEIGHT, FPS = 640, 480, 30
FPS_WINDOW = 3.0


class MovingBars(VideoStreamTrack):
    """A live synthetic camera: vertical bars that move, so every frame differs."""

    def __init__(self):
        super().__init__()
        self.count = 0
        self.start = None
        x = numpy.arange(WIDTH)
        self.row = ((x // 40) % 2 * 200 + 28).astype(numpy.uint8)

    async def recv(self):
        if self.start is None:
            self.start = time.monotonic()
        self.count += 1
        # Paced at FPS in real time, as a camera is.
        await asyncio.sleep(max(0.0, self.start + self.count / FPS - time.monotonic()))
        image = numpy.empty((HEIGHT, WIDTH, 3), numpy.uint8)
        image[:] = numpy.roll(self.row, self.count * 4)[None, :, None]
        frame = VideoFrame.from_ndarray(image, format="rgb24")
        frame.pts = self.count * (90000 // FPS)
        frame.time_base = fractions.Fraction(1, 90000)
        return frame


class Client:
    def __init__(self, args):
        self.args = args
        self.report = {"hello": False, "answer": False, "frames_back": 0, "fps_back": 0.0,
                       "first_frame_ms": None, "bye": None, "errors": []}
        self.frame_times = []
        self.offer_time = None
        self.enough = asyncio.Event()
        self.pc = RTCPeerConnection()

    async def count_frames(self, track):
        while True:
            try:
                await track.recv()
            except Exception:  # the track ended (MediaStreamError) with the connection
                return
            now = time.monotonic()
            self.frame_times.append(now)
            if len(self.frame_times) == 1:
                self.report["first_frame_ms"] = round((now - self.offer_time) * 1000)
            if len(self.frame_times) >= self.args.frames:
                self.enough.set()

    async def send_offer(self, ws):
        transceiver = self.pc.addTransceiver(MovingBars(), direction="sendrecv")
        vp8 = [c for c in RTCRtpSender.getCapabilities("video").codecs
               if c.mimeType in ("video/VP8", "video/rtx")]
        transceiver.setCodecPreferences(vp8)
        # No data channel: aiortc gives each m-line of its BUNDLE group ICE credentials of its
        # own, which webrtcbin refuses ("different ice-ufrag values in bundle").

        @self.pc.on("track")
        def on_track(track):
            if track.kind == "video":
                asyncio.ensure_future(self.count_frames(track))

        await self.pc.setLocalDescription(await self.pc.createOffer())
        await ws.send(json.dumps({"type": "offer", "sdp": self.pc.localDescription.sdp}))
        self.offer_time = time.monotonic()

    async def on_message(self, ws, msg):
        kind = msg.get("type")
        if kind == "hello":
            self.report["hello"] = True
            await self.send_offer(ws)
        elif kind == "answer":
            self.report["answer"] = True
            await self.pc.setRemoteDescription(RTCSessionDescription(msg["sdp"], "answer"))
        elif kind == "ice" and msg.get("candidate"):
            candidate = candidate_from_sdp(msg["candidate"].removeprefix("candidate:"))
            candidate.sdpMLineIndex = msg.get("sdpMLineIndex", 0)
            await self.pc.addIceCandidate(candidate)
        elif kind == "error":
            self.report["errors"].append("server error: " + str(msg.get("message")))
        elif kind == "bye":
            self.report["bye"] = msg.get("reason")
            if not self.enough.is_set():
                self.report["errors"].append("the server ended the session: %s" % msg.get("reason"))
                self.enough.set()

    async def read_messages(self, ws):
        async for text in ws:
            await self.on_message(ws, json.loads(text))

    async def run(self):
        async with websockets.connect(self.args.url, open_timeout=10, close_timeout=3) as ws:
            reader = asyncio.ensure_future(self.read_messages(ws))
            enough = asyncio.ensure_future(self.enough.wait())
            await asyncio.wait([reader, enough], return_when=asyncio.FIRST_COMPLETED)
            if reader.done() and reader.exception() is not None:
                raise reader.exception()
            if not enough.done():
                self.report["errors"].append("the server closed the websocket")
            self.finish_counting()
            if self.report["bye"] is None:
                await ws.send(json.dumps({"type": "bye"}))
                await asyncio.wait([reader], timeout=3)
            reader.cancel()
            enough.cancel()

    def finish_counting(self):
        now = time.monotonic()
        self.report["frames_back"] = len(self.frame_times)
        if len(self.frame_times) >= 2:
            start = max(now - FPS_WINDOW, self.frame_times[0])
            recent = [t for t in self.frame_times if t > start]
            self.report["fps_back"] = round(len(recent) / (now - start), 1)


async def main(args):
    client = Client(args)
    try:
        await asyncio.wait_for(client.run(), args.timeout)
    except asyncio.TimeoutError:
        client.finish_counting()
        client.report["errors"].append("timed out after %g s with %d frames back"
                                       % (args.timeout, len(client.frame_times)))
    except Exception as e:  # a refused connection, a broken answer: reported, not a traceback
        client.finish_counting()
        client.report["errors"].append("%s: %s" % (type(e).__name__, e))
    finally:
        await asyncio.wait_for(client.pc.close(), 5)
    print(json.dumps(client.report), flush=True)
    ok = not client.report["errors"] and client.report["frames_back"] >= args.frames
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="ws://HOST:PORT/ws")
    parser.add_argument("--frames", type=int, default=30, help="frames to get back (default 30)")
    parser.add_argument("--timeout", type=float, default=30, help="bound in seconds (default 30)")
    sys.exit(asyncio.run(main(parser.parse_args())))
