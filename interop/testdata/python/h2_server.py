"""An RFC 8441 server made of Python's h2 and wsproto, for our client: the server scenario of
the interop tests (../../scenario_test.go) over HTTP/2 streams. Run with Debian's interpreter:

    /usr/bin/python3 h2_server.py '{"protocols": ["wamp"], "cert": "...", "key": "..."}'

Without "cert" it speaks HTTP/2 in cleartext, to clients with prior knowledge (RFC 9113 §3.3).
It advertises SETTINGS_ENABLE_CONNECT_PROTOCOL in its first SETTINGS frame (RFC 8441 §3),
answers an extended CONNECT with :protocol websocket with 200 (§5) and anything else with an
error status, and then runs the scenario of server.py on the stream: a greeting "hello
<subprotocol>", echoes, and the commands "close <code> <reason>" and "ping <payload>". wsproto
frames and parses the WebSocket frames (and checks that the client masks them, RFC 6455
§5.3); h2 carries them in DATA frames, as flow control allows. It prints {"event":
"listening", "port": N}, {"event": "connection"} for each HTTP/2 connection, and "open" and
"closed" events as server.py does. Single-threaded: one selector serves every connection.
"""

import json
import selectors
import socket
import ssl
import sys

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings
import wsproto.frame_protocol as wsframe

from common import emit

ENABLE_CONNECT_PROTOCOL = 0x8  # RFC 8441 §3


class WebSocketStream:
    def __init__(self, stream_id, protocol):
        self.id = stream_id
        self.protocol = protocol
        self.ws = wsframe.FrameProtocol(client=False, extensions=[])
        self.out = bytearray()
        self.end_after_out = False
        self.ended = False
        self.closing = False  # we sent a close frame
        self.closed_event = False
        self.partial = None
        self.pong_wanted = None


class Connection:
    def __init__(self, sock, cfg):
        self.sock = sock
        self.cfg = cfg
        config = h2.config.H2Configuration(client_side=False)
        self.h2 = h2.connection.H2Connection(config=config)
        # In the first SETTINGS frame: a client (net/http's among them) decides on extended
        # CONNECT from the first one it sees.
        self.h2.local_settings = h2.settings.Settings(client=False, initial_values={
            ENABLE_CONNECT_PROTOCOL: 1,
            h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 1 << 20,
            h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 1000,
        })
        self.h2.initiate_connection()
        self.h2.increment_flow_control_window(16 << 20)
        self.streams = {}
        self.flush()
        emit("connection")

    def flush(self):
        data = self.h2.data_to_send()
        if data:
            self.sock.sendall(data)

    def readable(self):
        try:
            data = self.sock.recv(65536)
        except (ssl.SSLWantReadError, BlockingIOError):
            return True
        except (ConnectionError, ssl.SSLError):
            data = b""
        if not data:
            return False
        # TLS may have decrypted more than recv returned; select would not say so.
        while isinstance(self.sock, ssl.SSLSocket) and self.sock.pending():
            data += self.sock.recv(self.sock.pending())
        try:
            events = self.h2.receive_data(data)
        except h2.exceptions.ProtocolError:
            self.flush()
            return False
        for event in events:
            self.handle(event)
        self.drain()
        self.flush()
        return True

    def handle(self, event):
        if isinstance(event, h2.events.RequestReceived):
            self.request(event.stream_id, {k.decode(): v.decode() for k, v in event.headers})
            return
        stream = self.streams.get(getattr(event, "stream_id", None))
        if isinstance(event, h2.events.DataReceived):
            self.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            if stream is not None:
                stream.ws.receive_bytes(event.data)
                try:
                    self.frames(stream)
                except wsframe.ParseFailed as exc:
                    emit("error", message="wsproto: %s" % exc)
                    stream.out += stream.ws.close(exc.code, str(exc))
                    stream.end_after_out = True
        elif isinstance(event, h2.events.StreamEnded) and stream is not None:
            # RFC 8441 §6: the end of the client's half stands for its TCP FIN.
            if not stream.closed_event:
                stream.closed_event = True
                emit("closed", code=1006, reason="")
            stream.end_after_out = True
        elif isinstance(event, h2.events.StreamReset) and stream is not None:
            if not stream.closed_event:
                stream.closed_event = True
                emit("closed", code=1006, reason="")
            del self.streams[stream.id]

    def request(self, stream_id, headers):
        if headers.get(":method") != "CONNECT" or headers.get(":protocol") != "websocket":
            self.h2.send_headers(stream_id, [(":status", "501")], end_stream=True)
            return
        if headers.get("sec-websocket-version") != "13":
            self.h2.send_headers(stream_id, [(":status", "400"), ("sec-websocket-version", "13")], end_stream=True)
            return
        offered = [p.strip() for p in headers.get("sec-websocket-protocol", "").split(",") if p.strip()]
        protocol = next((p for p in offered if p in self.cfg["protocols"]), "")
        response = [(":status", "200")]
        if protocol:
            response.append(("sec-websocket-protocol", protocol))
        self.h2.send_headers(stream_id, response)
        stream = WebSocketStream(stream_id, protocol)
        self.streams[stream_id] = stream
        emit("open", protocol=protocol, extensions=headers.get("sec-websocket-extensions", ""))
        # Sent right after the response: the client must not lose it.
        stream.out += stream.ws.send_data("hello " + protocol)

    def frames(self, stream):
        for frame in stream.ws.received_frames():
            op = frame.opcode
            if op in (wsframe.Opcode.TEXT, wsframe.Opcode.BINARY, wsframe.Opcode.CONTINUATION):
                if stream.partial is None:
                    stream.partial = frame.payload
                else:
                    stream.partial += frame.payload
                if frame.message_finished:
                    message, stream.partial = stream.partial, None
                    self.message(stream, message)
            elif op == wsframe.Opcode.PING:
                stream.out += stream.ws.pong(frame.payload)
            elif op == wsframe.Opcode.PONG:
                if stream.pong_wanted is not None and frame.payload == stream.pong_wanted:
                    stream.out += stream.ws.send_data("pong " + stream.pong_wanted.decode())
                    stream.pong_wanted = None
            elif op == wsframe.Opcode.CLOSE:
                code, reason = frame.payload
                if not stream.closed_event:
                    stream.closed_event = True
                    emit("closed", code=int(code), reason=reason)
                if not stream.closing:
                    # RFC 6455 §5.5.1: answer with the code received.
                    stream.out += stream.ws.close(code)
                    stream.closing = True
                # RFC 8441 §6: the server ends the stream as it would close the TCP connection.
                stream.end_after_out = True

    def message(self, stream, message):
        if stream.closing:
            return
        if isinstance(message, str) and message.startswith("close "):
            _, code, reason = message.split(" ", 2)
            stream.out += stream.ws.close(int(code), reason)
            stream.closing = True
        elif isinstance(message, str) and message.startswith("ping "):
            stream.pong_wanted = message[len("ping "):].encode()
            stream.out += stream.ws.ping(stream.pong_wanted)
        else:
            stream.out += stream.ws.send_data(message)

    def drain(self):
        """Sends what each stream has queued, as far as the flow-control windows allow."""
        for stream in list(self.streams.values()):
            while stream.out:
                n = min(self.h2.local_flow_control_window(stream.id), self.h2.max_outbound_frame_size, len(stream.out))
                if n <= 0:
                    break
                self.h2.send_data(stream.id, bytes(stream.out[:n]))
                del stream.out[:n]
            if not stream.out and stream.end_after_out and not stream.ended:
                stream.ended = True
                try:
                    self.h2.end_stream(stream.id)
                except h2.exceptions.StreamClosedError:
                    pass
                del self.streams[stream.id]


def main():
    cfg = json.loads(sys.argv[1])
    context = None
    if cfg.get("cert"):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cfg["cert"], cfg["key"])
        context.set_alpn_protocols(["h2"])
    listener = socket.create_server(("127.0.0.1", 0))
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, None)
    emit("listening", port=listener.getsockname()[1])
    while True:
        for key, _ in selector.select():
            if key.data is None:
                sock, _ = listener.accept()
                if context is not None:
                    try:
                        sock.settimeout(10)
                        sock = context.wrap_socket(sock, server_side=True)
                        sock.settimeout(None)
                    except (ssl.SSLError, OSError) as exc:
                        emit("tls_error", message=str(exc))
                        sock.close()
                        continue
                selector.register(sock, selectors.EVENT_READ, Connection(sock, cfg))
                continue
            connection = key.data
            if not connection.readable():
                selector.unregister(connection.sock)
                connection.sock.close()


if __name__ == "__main__":
    main()
