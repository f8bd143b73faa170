// An RFC 8441 server made of Node's http2 module, with WebSocket frames by hand (h2_frames.mjs),
// for our client: the server scenario of ../../scenario_test.go over HTTP/2 streams. Run from
// interop/ with the loader:
//
//   node --import ./testdata/node/loader.mjs testdata/node/h2_server.mjs '{"protocols": ["wamp"], "cert": "...", "key": "..."}'
//
// It advertises enableConnectProtocol (SETTINGS_ENABLE_CONNECT_PROTOCOL, RFC 8441 §3), answers
// an extended CONNECT with :protocol websocket with 200 (§5), and runs the scenario of
// server.mjs on each stream: a greeting, echoes, "close <code> <reason>" and "ping <payload>".
// It prints "listening", "connection" for each HTTP/2 session, "open" and "closed".

import { readFileSync } from "node:fs";
import http2 from "node:http2";
import { emit } from "./common.mjs";
import { FrameReader, OP, closePayload, encodeFrame } from "./h2_frames.mjs";

const cfg = JSON.parse(process.argv[2]);

const server = http2.createSecureServer({
  cert: readFileSync(cfg.cert),
  key: readFileSync(cfg.key),
  settings: { enableConnectProtocol: true, initialWindowSize: 1 << 20 },
});

server.on("session", () => emit("connection"));

server.on("stream", (stream, headers) => {
  if (headers[":method"] !== "CONNECT" || headers[":protocol"] !== "websocket") {
    stream.respond({ ":status": 501 }, { endStream: true });
    return;
  }
  if (headers["sec-websocket-version"] !== "13") {
    stream.respond({ ":status": 400, "sec-websocket-version": "13" }, { endStream: true });
    return;
  }
  const offered = (headers["sec-websocket-protocol"] || "").split(",").map((p) => p.trim());
  const protocol = cfg.protocols.find((p) => offered.includes(p)) || "";
  stream.respond(protocol ? { ":status": 200, "sec-websocket-protocol": protocol } : { ":status": 200 });
  emit("open", { protocol, extensions: headers["sec-websocket-extensions"] || "" });

  const send = (opcode, payload) => stream.write(encodeFrame(opcode, payload));
  let closing = false; // we sent a close frame
  let reported = false;
  let pongWanted = null;
  const report = (code, reason) => {
    if (!reported) {
      reported = true;
      emit("closed", { code, reason });
    }
  };
  const reader = new FrameReader(
    true,
    (opcode, data) => {
      if (closing) return;
      const text = opcode === OP.TEXT ? data.toString() : null;
      if (text !== null && text.startsWith("close ")) {
        const [, code, reason] = text.match(/^close (\d+) (.*)$/s);
        send(OP.CLOSE, closePayload(Number(code), reason));
        closing = true;
      } else if (text !== null && text.startsWith("ping ")) {
        pongWanted = data.subarray(5);
        send(OP.PING, pongWanted);
      } else {
        send(opcode, data);
      }
    },
    (opcode, data) => {
      if (opcode === OP.PING) {
        send(OP.PONG, data);
      } else if (opcode === OP.PONG && pongWanted && data.equals(pongWanted)) {
        send(OP.TEXT, Buffer.concat([Buffer.from("pong "), pongWanted]));
        pongWanted = null;
      } else if (opcode === OP.CLOSE) {
        const code = data.length >= 2 ? data.readUInt16BE(0) : 1005;
        report(code, data.subarray(2).toString());
        if (!closing) {
          // RFC 6455 §5.5.1: answer with the code received.
          send(OP.CLOSE, data.length >= 2 ? data.subarray(0, 2) : Buffer.alloc(0));
          closing = true;
        }
        // RFC 8441 §6: the stream's end stands for the TCP close.
        stream.end();
      }
    },
  );
  stream.on("data", (chunk) => {
    try {
      reader.push(chunk);
    } catch (err) {
      emit("error", { message: String(err) });
      stream.close(http2.constants.NGHTTP2_PROTOCOL_ERROR);
    }
  });
  stream.on("end", () => {
    report(1006, "");
    stream.end();
  });
  stream.on("error", () => report(1006, ""));
  send(OP.TEXT, Buffer.from("hello " + protocol));
});

server.listen(0, "127.0.0.1", () => emit("listening", { port: server.address().port }));
