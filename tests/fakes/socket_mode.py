"""A local Socket Mode endpoint on 127.0.0.1: greets with hello, sends envelopes, collects acks."""

from __future__ import annotations

import asyncio
import json
import queue
import socket
import threading

import websockets


class FakeSocketMode:
    def __init__(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"ws://127.0.0.1:{self.port}/link"
        self.outbox: "queue.Queue[dict]" = queue.Queue()
        self.acks: list[dict] = []
        self.connected = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Future | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        self._stop = self._loop.create_future()
        async with websockets.serve(self._handler, "127.0.0.1", self.port):
            await self._stop

    async def _handler(self, ws) -> None:
        await ws.send(json.dumps({"type": "hello", "num_connections": 1,
                                  "debug_info": {"host": "fake"}, "connection_info": {"app_id": "A111"}}))
        self.connected.set()

        async def sender() -> None:
            while True:
                try:
                    env = self.outbox.get_nowait()
                except queue.Empty:
                    await asyncio.sleep(0.02)
                    continue
                await ws.send(json.dumps(env))

        task = asyncio.ensure_future(sender())
        try:
            async for message in ws:
                self.acks.append(json.loads(message))
        except websockets.ConnectionClosed:
            pass
        finally:
            task.cancel()

    def __enter__(self) -> "FakeSocketMode":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._loop.call_soon_threadsafe(lambda: self._stop.done() or self._stop.set_result(None))
        self._thread.join(5)
