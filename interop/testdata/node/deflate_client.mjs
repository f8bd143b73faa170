// The Node ws library as a client of our server with permessage-deflate (RFC 7692) on: the client
// side of the compression tests (../../compression_test.go). Run from interop/ with the loader
// that finds node/node_modules:
//
//   node --import ./testdata/node/loader.mjs testdata/node/deflate_client.mjs \
//     '{"url": "ws://127.0.0.1:8080/ws", "deflate": {"serverMaxWindowBits": 10},
//       "messages": [{"kind": "text", "size": 200}, {"kind": "repeated", "size": 1000000}],
//       "close_code": 4000, "close_reason": "bye"}'
//
// "deflate" is the perMessageDeflate option of the WebSocket constructor; without it, true (the
// library's default offer, "permessage-deflate; client_max_window_bits"). Each message of
// "messages" (see deflate_messages.mjs) is sent and its echo awaited; then the client closes with
// the code. It prints one JSON event per step, as client.mjs does, and in the "open" event the
// parameters in force as the library understood them.

import WebSocket from "ws";
import { compare, emit, Inbox, once } from "./common.mjs";
import { deflateParams, generate, send } from "./deflate_messages.mjs";

async function scenario(cfg) {
  const ws = new WebSocket(cfg.url, { maxPayload: 64 << 20, perMessageDeflate: cfg.deflate ?? true });
  const inbox = new Inbox(ws);
  let response = "";
  ws.on("upgrade", (res) => {
    response = res.headers["sec-websocket-extensions"] || "";
  });
  // A close before the scenario's own ends it at once, saying why, rather than leaving the
  // script waiting for an echo that cannot come.
  let closing = false;
  ws.on("error", (err) => {
    emit("error", { message: String(err) });
    process.exit(1);
  });
  ws.on("close", (code, reason) => {
    if (!closing) {
      emit("error", { message: `the connection closed early: ${code} ${reason}` });
      process.exit(1);
    }
  });
  await once(ws, "open");
  emit("open", { extensions: response, deflate: deflateParams(ws) });

  for (const [i, spec] of cfg.messages.entries()) {
    const message = generate(spec);
    send(ws, message, spec.fragments);
    const { data, isBinary } = await inbox.next();
    const why = compare(message.data, message.binary, data, isBinary);
    emit("echo", { index: i, type: spec.kind, size: spec.size, ok: why === "", message: why });
  }

  closing = true;
  const closed = once(ws, "close");
  ws.close(cfg.close_code, cfg.close_reason);
  const [code, reason] = await closed;
  emit("closed", { code, reason: reason.toString() });
}

scenario(JSON.parse(process.argv[2])).catch((err) => {
  emit("error", { message: String(err && err.stack ? err.stack : err) });
  process.exitCode = 1;
  process.exit();
});
