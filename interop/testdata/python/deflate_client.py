"""The Python websockets library as a client of our server with permessage-deflate (RFC 7692) on:
the client side of the compression tests (../../compression_test.go). Run with Debian's
interpreter, which sees python3-websockets:

    /usr/bin/python3 deflate_client.py '{"url": "ws://127.0.0.1:8080/ws",
        "deflate": {"server_max_window_bits": 10},
        "messages": [{"kind": "text", "size": 200}, {"kind": "repeated", "size": 1000000}],
        "close_code": 4000, "close_reason": "bye"}'

"deflate" holds the keyword arguments of ClientPerMessageDeflateFactory; without it the library's
default offer is made ("permessage-deflate; client_max_window_bits", compression="deflate").
Each message of "messages" (see deflate_messages.py) is sent and its echo awaited; then the
client closes with the code. It prints one JSON event per step, as client.py does, and in the
"open" event the parameters in force as the library understood them.
"""

import asyncio
import sys

import websockets
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

from common import compare, config, emit
from deflate_messages import deflate_params, generate, send


async def scenario(cfg):
    options = {}
    if cfg.get("deflate") is not None:
        options["extensions"] = [ClientPerMessageDeflateFactory(**cfg["deflate"])]
    async with websockets.connect(
        cfg["url"],
        max_size=None,
        ping_interval=None,
        open_timeout=10,
        close_timeout=10,
        **options,
    ) as ws:
        emit(
            "open",
            extensions=ws.response_headers.get("Sec-WebSocket-Extensions", ""),
            deflate=deflate_params(ws.extensions, server=False),
        )
        for i, spec in enumerate(cfg["messages"]):
            message = generate(spec)
            await send(ws, message, spec.get("fragments", 1))
            echo = await asyncio.wait_for(ws.recv(), 30)
            why = compare(message, echo)
            emit("echo", index=i, type=spec["kind"], size=spec["size"], ok=not why, message=why)
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
