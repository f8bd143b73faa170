"""The Python websockets library as a server for our client: the server scenario of the interop
tests (../../scenario_test.go). Run with Debian's interpreter, which sees python3-websockets:

    /usr/bin/python3 server.py '{"protocols": ["wamp", "mqtt"]}'

It listens on a free port of 127.0.0.1 and prints {"event": "listening", "port": N}. Each
connection is greeted with "hello <subprotocol>"; messages are echoed, except the commands
"close <code> <reason>" (the server closes) and "ping <payload>" (the server pings, and says
"pong <payload>" once the pong is back). A JSON event is printed when a connection opens and
when it closes, with the close code and reason received. It runs until it is killed.
"""

import asyncio
import sys

import websockets

from common import config, emit


async def handler(ws):
    emit(
        "open",
        protocol=ws.subprotocol or "",
        extensions=ws.request_headers.get("Sec-WebSocket-Extensions", ""),
    )
    try:
        # Sent right after the 101 response: the client must not lose it (RFC 6455 §4.1).
        await ws.send("hello " + (ws.subprotocol or ""))
        async for message in ws:
            if isinstance(message, str) and message.startswith("close "):
                _, code, reason = message.split(" ", 2)
                await ws.close(int(code), reason)
                break
            if isinstance(message, str) and message.startswith("ping "):
                data = message[len("ping ") :]
                pong = await ws.ping(data.encode())
                await asyncio.wait_for(pong, 10)
                await ws.send("pong " + data)
                continue
            await ws.send(message)
    except websockets.ConnectionClosed:
        pass
    await ws.wait_closed()
    emit("closed", code=ws.close_code, reason=ws.close_reason)


async def serve(cfg):
    async with websockets.serve(
        handler,
        "127.0.0.1",
        0,
        subprotocols=cfg["protocols"],
        max_size=None,
        ping_interval=None,
        close_timeout=10,
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
