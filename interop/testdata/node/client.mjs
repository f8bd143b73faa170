// The Node ws library as a client of our server: the client scenario of the interop tests
// (../../scenario_test.go). Run from interop/ with the loader that finds node/node_modules:
//
//   node --import ./testdata/node/loader.mjs testdata/node/client.mjs \
//     '{"url": "ws://127.0.0.1:8080/ws", "protocols": ["soap", "wamp"], "sizes": [0, 125, 126],
//       "fragments": 5, "ping": "hi", "close_code": 4000, "close_reason": "bye"}'
//
// It prints one JSON event per step and exits with status 0 when the scenario ran to its end.
// The library's defaults are kept where the test does not need otherwise: in particular the
// client offers permessage-deflate, which our server must decline.

import fs from "node:fs";
import WebSocket from "ws";
import { compare, emit, Inbox, once, payload } from "./common.mjs";

async function scenario(cfg) {
  const options = { maxPayload: 64 << 20 };
  if (cfg.cafile) {
    options.ca = fs.readFileSync(cfg.cafile);
  }
  const ws = new WebSocket(cfg.url, cfg.protocols, options);
  const inbox = new Inbox(ws);
  let responseExtensions = "";
  ws.on("upgrade", (response) => {
    responseExtensions = response.headers["sec-websocket-extensions"] || "";
  });
  await once(ws, "open");
  emit("open", { protocol: ws.protocol, extensions: responseExtensions });

  for (const size of cfg.sizes) {
    for (const binary of [false, true]) {
      const message = payload(!binary, size);
      ws.send(message, { binary });
      const { data, isBinary } = await inbox.next();
      const why = compare(message, binary, data, isBinary);
      emit("echo", { type: binary ? "binary" : "text", size, ok: why === "", message: why });
    }
  }

  const n = cfg.fragments || 0;
  if (n > 0) {
    for (const binary of [false, true]) {
      const message = payload(!binary, 50000);
      // One frame per send with fin: false, then the final one (RFC 6455 §5.4). The pieces are
      // cut at byte offsets, so text fragments split characters: only the whole message is UTF-8.
      const step = Math.ceil(message.length / n) + 1;
      for (let i = 0; i < message.length; i += step) {
        const end = Math.min(i + step, message.length);
        ws.send(message.subarray(i, end), { binary, fin: end === message.length });
      }
      const { data, isBinary } = await inbox.next();
      const why = compare(message, binary, data, isBinary);
      emit("fragmented", { type: binary ? "binary" : "text", size: message.length, fragments: n, ok: why === "", message: why });
    }
  }

  if (cfg.ping) {
    ws.ping(Buffer.from(cfg.ping));
    const [data] = await once(ws, "pong");
    emit("pong", { message: data.toString() });
  }

  const closed = once(ws, "close");
  if (cfg.server_close) {
    ws.send(`close ${cfg.close_code} ${cfg.close_reason}`);
  } else {
    ws.close(cfg.close_code, cfg.close_reason);
  }
  const [code, reason] = await closed;
  emit("closed", { code, reason: reason.toString() });
}

scenario(JSON.parse(process.argv[2])).catch((err) => {
  emit("error", { message: String(err && err.stack ? err.stack : err) });
  process.exitCode = 1;
  process.exit();
});
