"""Shared by the Python peer scripts of the interop tests (see ../../scenario_test.go)."""

import json
import sys


def emit(event, **fields):
    """Print one JSON event on a line of its own, for the Go test to read."""
    print(json.dumps({"event": event, **fields}), flush=True)


# Text mixes code points of 1 to 4 bytes, as the Go test's payload function does, so that
# characters straddle frame and buffer boundaries.
RUNES = "WebSocket é ß € ✓ 🌍 𝄞 "


# Binary content repeats every 65536 bytes: byte i is i*7 + i/256, modulo 256.
BINARY_BLOCK = bytes((i * 7 + (i >> 8)) & 0xFF for i in range(65536))


def payload(text, size):
    """Return a message of exactly size bytes: a str of valid UTF-8, or bytes."""
    if not text:
        return (BINARY_BLOCK * (size // len(BINARY_BLOCK) + 1))[:size]
    whole = size // len(RUNES.encode("utf-8"))
    chars, used = [RUNES * whole], whole * len(RUNES.encode("utf-8"))
    i = whole * len(RUNES)
    while used < size:  # the tail: pad with one-byte characters to the exact size
        c = RUNES[i % len(RUNES)]
        n = len(c.encode("utf-8"))
        if used + n > size:
            c, n = "x", 1
        chars.append(c)
        used += n
        i += 1
    return "".join(chars)


def to_bytes(message):
    return message.encode("utf-8") if isinstance(message, str) else bytes(message)


def compare(sent, received):
    """Return "" if received is an echo of sent (same type, same content), else why not."""
    if isinstance(sent, str) != isinstance(received, str):
        kind = "text" if isinstance(received, str) else "binary"
        return f"came back as {kind}"
    a, b = to_bytes(sent), to_bytes(received)
    if a == b:
        return ""
    first = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
    return f"sent {len(a)} bytes, received {len(b)}, first difference at byte {first}"


def config():
    return json.loads(sys.argv[1])
