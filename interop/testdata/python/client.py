"""The Python websockets library as a client of our server: the client scenario of the interop
tests (../../scenario_test.go). Run with Debian's interpreter, which sees python3-websockets:

    /usr/bin/python3 client.py '{"url": "ws://127.0.0.1:8080/ws", "protocols": ["soap", "wamp"],
        "sizes": [0, 125, 126], "fragments": 5, "ping": "hi", "close_code": 4000,
        "close_reason": "bye"}'

It prints one JSON event per step and exits with status 0 when the scenario ran to its end.
The library's defaults are kept where the test does not need otherwise: in particular it offers
permessage-deflate, which our server must decline.
"""

import asyncio
import ssl
import sys

import websockets

from common import compare, config, emit, payload, to_bytes


async def scenario(cfg):
    ssl_context = None
    if cfg["url"].startswith("wss://"):
        ssl_context = ssl.create_default_context(cafile=cfg.get("cafile") or None)
    async with websockets.connect(
        cfg["url"],
        subprotocols=cfg["protocols"],
        ssl=ssl_context,
        max_size=None,  # messages up to 16 MiB; the default is 1 MiB
        ping_interval=None,  # no keepalive pings: the test counts pings
        open_timeout=10,
        close_timeout=10,
    ) as ws:
        emit(
            "open",
            protocol=ws.subprotocol or "",
            extensions=ws.response_headers.get("Sec-WebSocket-Extensions", ""),
        )

        for size in cfg["sizes"]:
            for text in (True, False):
                message = payload(text, size)
                await ws.send(message)
                echo = await asyncio.wait_for(ws.recv(), 30)
                why = compare(message, echo)
                emit("echo", type="text" if text else "binary", size=size, ok=not why, message=why)

        n = cfg.get("fragments", 0)
        if n:
            for text in (True, False):
                message = payload(text, 50_000)
                step = -(-len(message) // n)
                # An iterable is sent as a fragmented message, one frame per item (RFC 6455 §5.4).
                await ws.send([message[i : i + step] for i in range(0, len(message), step)])
                echo = await asyncio.wait_for(ws.recv(), 30)
                why = compare(message, echo)
                emit("fragmented", type="text" if text else "binary", size=len(to_bytes(message)), fragments=n, ok=not why, message=why)

        if cfg.get("ping"):
            pong = await ws.ping(cfg["ping"].encode())
            # The waiter completes when a pong with the same payload arrives (§5.5.3).
            await asyncio.wait_for(pong, 10)
            emit("pong", message=cfg["ping"])

        if cfg.get("server_close"):
            await ws.send(f"close {cfg['close_code']} {cfg['close_reason']}")
            await asyncio.wait_for(ws.wait_closed(), 15)
        else:
            await ws.close(cfg["close_code"], cfg["close_reason"])
        emit("closed", code=ws.close_code, reason=ws.close_reason)


def main():
    try:
        asyncio.run(scenario(config()))
    except Exception as e:  # report anything, then fail
        emit("error", message=f"{type(e).__name__}: {e}")
        sys.exit(1)


if __name__ == "__main__":
    main()
