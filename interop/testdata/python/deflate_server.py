"""The Python websockets library as a server for our client with permessage-deflate (RFC 7692)
on: the server side of the compression tests (../../compression_test.go). Run with Debian's
interpreter, which sees python3-websockets:

    /usr/bin/python3 deflate_server.py '{"deflate": {"server_max_window_bits": 10}}'

"deflate" holds the keyword arguments of ServerPerMessageDeflateFactory; without it the library's
default applies (compression="deflate": it accepts an offer with server_max_window_bits=12 and,
when the offer allows it, client_max_window_bits=12).

It listens on a free port of 127.0.0.1 and prints {"event": "listening", "port": N}. Messages are
echoed, except "close <code> <reason>", which closes the connection. An "open" event names the
client's offer, the response and the parameters in force; a "closed" event the close code and
reason received. It runs until it is killed.
"""

import asyncio
import sys

import websockets
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory

from common import config, emit
from deflate_messages import deflate_params


async def handler(ws):
    emit(
        "open",
        offer=ws.request_headers.get("Sec-WebSocket-Extensions", ""),
        extensions=ws.response_headers.get("Sec-WebSocket-Extensions", ""),
        deflate=deflate_params(ws.extensions, server=True),
    )
    try:
        async for message in ws:
            if isinstance(message, str) and message.startswith("close "):
                _, code, reason = message.split(" ", 2)
                await ws.close(int(code), reason)
                break
            await ws.send(message)
    except websockets.ConnectionClosed:
        pass
    await ws.wait_closed()
    emit("closed", code=ws.close_code, reason=ws.close_reason)


async def serve(cfg):
    options = {}
    if cfg.get("deflate") is not None:
        options["extensions"] = [ServerPerMessageDeflateFactory(**cfg["deflate"])]
    async with websockets.serve(
        handler,
        "127.0.0.1",
        0,
        max_size=None,
        ping_interval=None,
        close_timeout=10,
        **options,
    ) as server:
        emit("listening", port=server.sockets[0].getsockname()[1])
        await asyncio.Future()  # until killed


def main():
    try:
        asyncio.run(serve(config()))
    except Exception as e:
        emit("error", message=f"{type(e).__name__}: {e}")
        sys.exit(1)


if __name__ == "__main__":
    main()
