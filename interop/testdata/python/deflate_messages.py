"""Shared by the Python scripts of the compression tests (see ../../compression_test.go): the
messages they send, and what they report of the permessage-deflate parameters in force."""

import random

from websockets.extensions.permessage_deflate import PerMessageDeflate

from common import payload


def generate(spec):
    """Return the message a spec of the Go test describes ({"kind": ..., "size": N, "seed": S}):

    - "text", "binary": the scenario's usual content (common.payload);
    - "repeated": text of one character repeated, which deflate shrinks about 1000:1;
    - "random": bytes from a generator seeded with "seed", which deflate cannot shrink;
    - "window": a block of 2048 random bytes repeated, which deflate shrinks only when its LZ77
      window holds 2048 bytes or more (RFC 7692 §7.1.2: max_window_bits of 12 and up).
    """
    kind, size = spec["kind"], spec["size"]
    if kind == "text":
        return payload(True, size)
    if kind == "binary":
        return payload(False, size)
    if kind == "repeated":
        return "a" * size
    rng = random.Random(spec.get("seed", 1))
    if kind == "random":
        return rng.randbytes(size)
    if kind == "window":
        block = rng.randbytes(2048)
        return (block * (size // len(block) + 1))[:size]
    raise ValueError("unknown message kind " + kind)


async def send(ws, message, fragments):
    """Send message whole, or as that many fragments (RFC 6455 §5.4): websockets sends the items
    of an iterable as the frames of one message, and compresses each frame on its own stream
    position, with RSV1 on the first frame only (RFC 7692 §6.1)."""
    if fragments <= 1:
        await ws.send(message)
        return
    step = -(-len(message) // fragments)
    await ws.send([message[i : i + step] for i in range(0, len(message), step)])


def deflate_params(extensions, server):
    """Return the permessage-deflate parameters in force, as the library negotiated them, named
    as RFC 7692 §7.1 names them; None when the extension is not in use."""
    for ext in extensions:
        if isinstance(ext, PerMessageDeflate):
            if server:  # the remote side is the client
                server_nct, client_nct = ext.local_no_context_takeover, ext.remote_no_context_takeover
                server_bits, client_bits = ext.local_max_window_bits, ext.remote_max_window_bits
            else:
                server_nct, client_nct = ext.remote_no_context_takeover, ext.local_no_context_takeover
                server_bits, client_bits = ext.remote_max_window_bits, ext.local_max_window_bits
            return {
                "server_no_context_takeover": server_nct,
                "client_no_context_takeover": client_nct,
                "server_max_window_bits": server_bits,
                "client_max_window_bits": client_bits,
            }
    return None
