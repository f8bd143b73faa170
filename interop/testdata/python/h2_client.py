"""WebSockets over HTTP/2 (RFC 8441) with Python's h2 and wsproto, against our server.

h2 (Debian python3-h2) speaks HTTP/2 and sends the extended CONNECT request; wsproto's frame
layer (python3-wsproto) makes and parses the WebSocket frames carried in the stream's DATA
frames. Neither knows the other: this script is the glue an RFC 8441 client is. It reports
each step as a JSON line (common.emit) for ../../h2_peers_test.go to check:

  settings       the server's SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441 §3)
  response       status and headers of the CONNECT answer (§5: 200, no Sec-WebSocket-Accept)
  echo           each message sent and whether it came back intact
  pong           the answer to a ping (RFC 6455 §5.5.2)
  close          the close frame the server echoed, and whether the stream then ended (§6)
  streams        many WebSockets on the connection at once, one of them not reading
  bad            what each malformed request got: a status or a stream reset
  done

Usage: h2_client.py '{"port": N, "cafile": "...", "path": "/ws", "sizes": [...], ...}'
("bad": false leaves out the malformed requests, for a proxy in front of the server.)
"""

import json
import socket
import ssl
import struct
import sys

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings
import wsproto.frame_protocol as wsframe

from common import emit, payload, to_bytes

ENABLE_CONNECT_PROTOCOL = 0x8  # RFC 8441 §3


class H2:
    """One HTTP/2 connection over TLS, with the WebSocket streams it carries."""

    def __init__(self, cfg):
        self.host = "127.0.0.1"
        self.port = cfg["port"]
        context = ssl.create_default_context(cafile=cfg["cafile"])
        context.set_alpn_protocols(["h2"])
        raw = socket.create_connection((self.host, self.port), timeout=20)
        self.sock = context.wrap_socket(raw, server_hostname=self.host)
        if self.sock.selected_alpn_protocol() != "h2":
            raise SystemExit("the server did not select h2 in ALPN")
        # Outbound headers unchecked: the bad-input cases send what h2 would refuse to.
        config = h2.config.H2Configuration(client_side=True, validate_outbound_headers=False,
                                           normalize_outbound_headers=False)
        self.conn = h2.connection.H2Connection(config=config)
        self.conn.initiate_connection()
        # A large connection window, so that 1 MiB echoes do not wait on WINDOW_UPDATEs.
        self.conn.increment_flow_control_window(16 << 20)
        self.flush()
        self.streams = {}  # stream id -> Stream
        self.settings = None
        while self.settings is None:
            self.pump()

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def pump(self):
        """Reads once from the socket and hands every event to its stream."""
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("the server closed the connection")
        for event in self.conn.receive_data(data):
            if isinstance(event, h2.events.RemoteSettingsChanged):
                changed = event.changed_settings.get(ENABLE_CONNECT_PROTOCOL)
                if changed is not None:
                    self.settings = changed.new_value
                elif self.settings is None:
                    self.settings = 0
            stream = self.streams.get(getattr(event, "stream_id", None))
            if stream is None:
                continue
            if isinstance(event, h2.events.ResponseReceived):
                stream.response = {k.decode(): v.decode() for k, v in event.headers}
            elif isinstance(event, h2.events.DataReceived):
                # Flow control: the window is given back once the bytes are taken, unless the
                # stream plays a reader that stopped.
                if stream.reading:
                    self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                else:
                    stream.unacknowledged += event.flow_controlled_length
                stream.ws.receive_bytes(event.data)
                stream.collect()
            elif isinstance(event, h2.events.StreamEnded):
                stream.ended = True
            elif isinstance(event, h2.events.StreamReset):
                stream.reset = event.error_code
        self.flush()

    def open(self, path, extra=(), headers=None):
        """Sends a CONNECT request on a new stream and waits for its answer."""
        stream_id = self.conn.get_next_available_stream_id()
        if headers is None:
            headers = [(":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "https"),
                       (":path", path), (":authority", "%s:%d" % (self.host, self.port)),
                       ("sec-websocket-version", "13")]
        headers = list(headers) + list(extra)
        stream = Stream(self, stream_id)
        self.streams[stream_id] = stream
        self.conn.send_headers(stream_id, headers)
        self.flush()
        while stream.response is None and stream.reset is None:
            self.pump()
        return stream


class Stream:
    """A WebSocket on one stream: wsproto's frames in h2's DATA frames."""

    def __init__(self, h2conn, stream_id):
        self.h2 = h2conn
        self.id = stream_id
        self.ws = wsframe.FrameProtocol(client=True, extensions=[])
        self.response = None
        self.reset = None
        self.ended = False
        self.reading = True
        self.unacknowledged = 0
        self.frames = []  # complete messages and control frames, as (opcode, payload)
        self.partial = None

    def collect(self):
        for frame in self.ws.received_frames():
            if frame.opcode in (wsframe.Opcode.TEXT, wsframe.Opcode.BINARY, wsframe.Opcode.CONTINUATION):
                piece = frame.payload
                if self.partial is None:
                    self.partial = (frame.opcode, piece)
                else:
                    self.partial = (self.partial[0], self.partial[1] + piece)
                if frame.message_finished:
                    self.frames.append(self.partial)
                    self.partial = None
            else:
                self.frames.append((frame.opcode, frame.payload))

    def send(self, data):
        """Sends bytes on the stream as the flow-control windows and frame size allow."""
        view = memoryview(data)
        while view:
            window = min(self.h2.conn.local_flow_control_window(self.id), self.h2.conn.max_outbound_frame_size)
            if window <= 0:
                self.h2.pump()
                continue
            self.h2.conn.send_data(self.id, bytes(view[:window]))
            self.h2.flush()
            view = view[window:]

    def next_frame(self):
        while not self.frames:
            if self.reset is not None:
                raise EOFError("stream reset with code %d" % self.reset)
            if self.ended:
                raise EOFError("stream ended")
            self.h2.pump()
        return self.frames.pop(0)

    def resume(self):
        self.reading = True
        if self.unacknowledged:
            self.h2.conn.acknowledge_received_data(self.unacknowledged, self.id)
            self.unacknowledged = 0
            self.h2.flush()


def echo(stream, message, fragments=1):
    data = to_bytes(message)
    if fragments > 1 and len(data) >= fragments:
        step = len(data) // fragments
        pieces = [message[i * step:(i + 1) * step] for i in range(fragments - 1)]
        pieces.append(message[(fragments - 1) * step:])
        for i, piece in enumerate(pieces):
            stream.send(stream.ws.send_data(piece, fin=i == len(pieces) - 1))
    else:
        stream.send(stream.ws.send_data(message))
    opcode, got = stream.next_frame()
    want_opcode = wsframe.Opcode.TEXT if isinstance(message, str) else wsframe.Opcode.BINARY
    return opcode == want_opcode and to_bytes(got) == data


def close(stream, code, reason):
    stream.send(stream.ws.close(code, reason))
    opcode, got = stream.next_frame()
    if opcode != wsframe.Opcode.CLOSE:
        return {"opcode": int(opcode)}
    # RFC 8441 §6: the end of the stream stands for the TCP close; the server ends its half.
    # Our half ends too, unless the server reset the stream with NO_ERROR as it ended its half
    # (RFC 9113 §8.1 lets a server that has answered in full cut the request short so).
    while not stream.ended and stream.reset is None:
        stream.h2.pump()
    try:
        stream.h2.conn.end_stream(stream.id)
        stream.h2.flush()
    except h2.exceptions.StreamClosedError:
        pass
    return {"code": int(got[0]), "reason": got[1], "ended": stream.ended, "reset": stream.reset}


def bad_requests(h2conn, path):
    """Malformed or refused requests, each on a stream of its own: what did each get?"""
    authority = "%s:%d" % (h2conn.host, h2conn.port)
    base = [("sec-websocket-version", "13")]
    cases = {
        # RFC 9113 §8.5: a CONNECT without :protocol is a tunnel request, with :authority only.
        "plain CONNECT": [(":method", "CONNECT"), (":authority", authority)] + base,
        "protocol not websocket": [(":method", "CONNECT"), (":protocol", "h3-tunnel"), (":scheme", "https"),
                                   (":path", path), (":authority", authority)] + base,
        # RFC 8441 §4: an extended CONNECT carries :scheme and :path.
        "missing :path": [(":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "https"),
                          (":authority", authority)] + base,
        "missing :scheme": [(":method", "CONNECT"), (":protocol", "websocket"), (":path", path),
                            (":authority", authority)] + base,
        "version 8": [(":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "https"),
                      (":path", path), (":authority", authority), ("sec-websocket-version", "8")],
    }
    results = {}
    for name, headers in cases.items():
        stream = h2conn.open(path, headers=headers)
        if stream.response is not None:
            results[name] = {"status": int(stream.response.get(":status", "0"))}
            if not stream.ended and stream.reset is None:
                h2conn.conn.reset_stream(stream.id)
                h2conn.flush()
        else:
            results[name] = {"reset": stream.reset}

    # RFC 9113 §5.1: DATA on a stream the sender has ended (half-closed remote, for the
    # server) is a stream error of type STREAM_CLOSED. h2 will not send one, so both frames go
    # on the socket by hand, in one write, so that the server reads the second before its
    # handler has seen the first and ended the stream: an empty DATA frame with END_STREAM,
    # then a DATA frame with a masked text frame "late" in it. A DATA frame is a 9-byte header
    # (24-bit length, type 0, flags, 31-bit stream id) and the payload (RFC 9113 §4.1, §6.1).
    stream = h2conn.open(path)
    late = stream.ws.send_data("late")

    def data_frame(body, flags):
        return struct.pack(">I", len(body))[1:] + bytes([0, flags]) + struct.pack(">I", stream.id) + body

    h2conn.sock.sendall(data_frame(b"", 0x1) + data_frame(late, 0x0))
    while stream.reset is None:
        h2conn.pump()
    results["DATA after END_STREAM"] = {"reset": stream.reset, "ended": stream.ended}
    return results


def main():
    cfg = json.loads(sys.argv[1])
    path = cfg.get("path", "/ws")
    h2conn = H2(cfg)
    emit("settings", enable_connect_protocol=h2conn.settings)

    # RFC 8441 §5: Sec-WebSocket-Key means nothing over HTTP/2, so one sent is ignored.
    stream = h2conn.open(path, extra=[("sec-websocket-protocol", "soap, wamp"),
                                      ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
                                      ("origin", "https://127.0.0.1:%d" % h2conn.port)])
    emit("response", status=int(stream.response.get(":status", "0")), headers=stream.response)
    for size in cfg["sizes"]:
        for text in (True, False):
            message = payload(text, size)
            emit("echo", size=size, text=text, ok=echo(stream, message))
    emit("echo", size=100000, text=True, fragments=5, ok=echo(stream, payload(True, 100000), fragments=5))
    stream.send(stream.ws.ping(b"ping over h2"))
    opcode, got = stream.next_frame()
    emit("pong", ok=opcode == wsframe.Opcode.PONG and got == b"ping over h2")

    # Many WebSockets at once on this connection; one of them stops reading while a large
    # message comes back to it, and the others must go on; closing one leaves the rest open.
    others = [h2conn.open(path) for _ in range(cfg.get("streams", 20))]
    stuck = others[0]
    stuck.reading = False
    stuck.send(stuck.ws.send_data(payload(False, 1 << 20)))
    ok = all(echo(s, "stream %d" % s.id) for s in others[1:])
    closed = close(others[1], 1000, "one of many")
    ok = ok and closed.get("code") == 1000 and all(echo(s, "still open") for s in others[2:])
    stuck.resume()
    opcode, got = stuck.next_frame()
    emit("streams", count=len(others), ok=ok, stuck_echo=len(got) == 1 << 20)

    if cfg.get("bad", True):
        emit("bad", results=bad_requests(h2conn, path))
    emit("echo", size=5, text=True, after_bad=True, ok=echo(stream, "after"))
    emit("close", **close(stream, cfg.get("close_code", 4001), cfg.get("close_reason", "python h2 says bye")))
    h2conn.conn.close_connection()
    h2conn.flush()
    h2conn.sock.close()
    emit("done")


if __name__ == "__main__":
    main()
