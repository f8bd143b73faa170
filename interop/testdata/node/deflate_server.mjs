// The Node ws library as a server for our client with permessage-deflate (RFC 7692) on: the server
// side of the compression tests (../../compression_test.go). Run from interop/ with the loader
// that finds node/node_modules:
//
//   node --import ./testdata/node/loader.mjs testdata/node/deflate_server.mjs \
//     '{"deflate": {"threshold": 0, "serverNoContextTakeover": true}}'
//
// "deflate" is the perMessageDeflate option of WebSocketServer, which is off by default there.
//
// It listens on a free port of 127.0.0.1 and prints {"event": "listening", "port": N}. Messages are
// echoed, except "close <code> <reason>", which closes the connection. An "open" event names the
// client's offer, the response and the parameters in force; a "closed" event the close code and
// reason received. It runs until it is killed.

import { WebSocketServer } from "ws";
import { emit } from "./common.mjs";
import { deflateParams } from "./deflate_messages.mjs";

const cfg = JSON.parse(process.argv[2]);

const wss = new WebSocketServer({
  host: "127.0.0.1",
  port: 0,
  maxPayload: 64 << 20,
  perMessageDeflate: cfg.deflate,
});

// The response's headers, kept per request for the "open" event.
const responses = new WeakMap();
wss.on("headers", (headers, request) => responses.set(request, headers));

wss.on("listening", () => emit("listening", { port: wss.address().port }));
wss.on("error", (err) => {
  emit("error", { message: String(err) });
  process.exit(1);
});

wss.on("connection", (ws, request) => {
  const extensions = (responses.get(request) || [])
    .filter((h) => h.toLowerCase().startsWith("sec-websocket-extensions:"))
    .map((h) => h.slice(h.indexOf(":") + 1).trim())
    .join(", ");
  emit("open", { offer: request.headers["sec-websocket-extensions"] || "", extensions, deflate: deflateParams(ws) });
  ws.on("close", (code, reason) => emit("closed", { code, reason: reason.toString() }));
  ws.on("error", (err) => emit("connection-error", { message: String(err) }));
  ws.on("message", (data, isBinary) => {
    if (!isBinary) {
      const text = data.toString();
      if (text.startsWith("close ")) {
        const [, code, ...reason] = text.split(" ");
        ws.close(Number(code), reason.join(" "));
        return;
      }
    }
    ws.send(data, { binary: isBinary });
  });
});
