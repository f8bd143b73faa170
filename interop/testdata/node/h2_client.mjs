// An RFC 8441 client made of Node's http2 module, with WebSocket frames by hand (h2_frames.mjs),
// against our server. Run from interop/ with the loader:
//
//   node --import ./testdata/node/loader.mjs testdata/node/h2_client.mjs '{"port": N, "ca": "...", "sizes": [...]}'
//
// It prints the events of h2_client.py: "settings" (the server's enableConnectProtocol),
// "response", "echo" for each message, "pong", "streams" (20 WebSockets at once on the
// session), "close" and "done".

import { readFileSync } from "node:fs";
import http2 from "node:http2";
import { emit, payload } from "./common.mjs";
import { FrameReader, OP, closePayload, encodeFrame } from "./h2_frames.mjs";

const cfg = JSON.parse(process.argv[2]);
const authority = `https://127.0.0.1:${cfg.port}`;

const session = http2.connect(authority, {
  ca: readFileSync(cfg.ca),
  settings: { initialWindowSize: 1 << 20 },
});
session.on("error", (err) => {
  emit("error", { message: String(err) });
  process.exit(1);
});

// A WebSocket on one stream: open() sends the extended CONNECT; next() gives the next message
// or control frame as { opcode, data }.
function open(extra = {}) {
  const stream = session.request({
    ":method": "CONNECT",
    ":protocol": "websocket",
    ":scheme": "https",
    ":path": cfg.path || "/ws",
    ":authority": `127.0.0.1:${cfg.port}`,
    "sec-websocket-version": "13",
    ...extra,
  });
  const queue = [];
  const waiters = [];
  const deliver = (item) => (waiters.length ? waiters.shift()(item) : queue.push(item));
  const reader = new FrameReader(
    false,
    (opcode, data) => deliver({ opcode, data }),
    (opcode, data) => deliver({ opcode, data }),
  );
  stream.on("data", (chunk) => reader.push(chunk));
  stream.on("end", () => deliver({ end: true }));
  stream.on("error", (err) => deliver({ error: String(err) }));
  const ws = {
    stream,
    send: (opcode, data, fin = true) => stream.write(encodeFrame(opcode, data, { fin, mask: true })),
    next: () => new Promise((resolve) => (queue.length ? resolve(queue.shift()) : waiters.push(resolve))),
    response: new Promise((resolve) => stream.on("response", resolve)),
  };
  return ws;
}

async function echo(ws, opcode, data, fragments = 1) {
  if (fragments > 1) {
    const step = Math.floor(data.length / fragments);
    for (let i = 0; i < fragments; i++) {
      const piece = data.subarray(i * step, i === fragments - 1 ? data.length : (i + 1) * step);
      ws.send(i === 0 ? opcode : OP.CONTINUATION, piece, i === fragments - 1);
    }
  } else {
    ws.send(opcode, data);
  }
  const got = await ws.next();
  return got.opcode === opcode && got.data.equals(data);
}

async function main() {
  const settings = await new Promise((resolve) => session.once("remoteSettings", resolve));
  emit("settings", { enable_connect_protocol: settings.enableConnectProtocol ? 1 : 0 });

  // RFC 8441 §5: a Sec-WebSocket-Key means nothing over HTTP/2 and is ignored.
  const ws = open({ "sec-websocket-protocol": "soap, wamp", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==" });
  const headers = await ws.response;
  const plain = {};
  for (const [k, v] of Object.entries(headers)) plain[k] = String(v);
  emit("response", { status: headers[":status"], headers: plain });

  for (const size of cfg.sizes) {
    emit("echo", { size, text: true, ok: await echo(ws, OP.TEXT, payload(true, size)) });
    emit("echo", { size, text: false, ok: await echo(ws, OP.BINARY, payload(false, size)) });
  }
  emit("echo", { size: 100000, text: true, fragments: 5, ok: await echo(ws, OP.TEXT, payload(true, 100000), 5) });

  ws.send(OP.PING, Buffer.from("ping over node h2"));
  const pong = await ws.next();
  emit("pong", { ok: pong.opcode === OP.PONG && pong.data.toString() === "ping over node h2" });

  // Many WebSockets on the session at once; closing one leaves the others open.
  const others = [];
  for (let i = 0; i < 20; i++) others.push(open());
  await Promise.all(others.map((o) => o.response));
  let ok = (await Promise.all(others.map((o, i) => echo(o, OP.TEXT, Buffer.from(`stream ${i}`))))).every(Boolean);
  others[0].send(OP.CLOSE, closePayload(1000, "one of many"));
  const closed = await others[0].next();
  ok = ok && closed.opcode === OP.CLOSE && closed.data.readUInt16BE(0) === 1000;
  ok = ok && (await Promise.all(others.slice(1).map((o) => echo(o, OP.TEXT, Buffer.from("still open"))))).every(Boolean);
  emit("streams", { count: others.length, ok });
  for (const o of others.slice(1)) o.send(OP.CLOSE, closePayload(1000));

  ws.send(OP.CLOSE, closePayload(cfg.close_code || 4003, cfg.close_reason || "node h2 says bye"));
  const answer = await ws.next();
  const end = await ws.next(); // RFC 8441 §6: then the server ends the stream
  ws.stream.end();
  emit("close", {
    code: answer.opcode === OP.CLOSE ? answer.data.readUInt16BE(0) : 0,
    reason: answer.opcode === OP.CLOSE ? answer.data.subarray(2).toString() : "",
    ended: end.end === true,
  });
  session.close();
  emit("done");
}

main().catch((err) => {
  emit("error", { message: String(err && err.stack) });
  process.exit(1);
});
