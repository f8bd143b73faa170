// The Node ws library as a server for our client: the server scenario of the interop tests
// (../../scenario_test.go). Run from interop/ with the loader that finds node/node_modules:
//
//   node --import ./testdata/node/loader.mjs testdata/node/server.mjs '{"protocols": ["wamp", "mqtt"]}'
//
// It listens on a free port of 127.0.0.1 and prints {"event": "listening", "port": N}. Each
// connection is greeted with "hello <subprotocol>"; messages are echoed, except the commands
// "close <code> <reason>" (the server closes) and "ping <payload>" (the server pings, and says
// "pong <payload>" once the pong is back). A JSON event is printed when a connection opens and
// when it closes, with the close code and reason received. It runs until it is killed.

import { WebSocketServer } from "ws";
import { emit } from "./common.mjs";

const cfg = JSON.parse(process.argv[2]);

const wss = new WebSocketServer({
  host: "127.0.0.1",
  port: 0,
  maxPayload: 64 << 20,
  // The first of the server's subprotocols that the client offered (RFC 6455 §4.2.2).
  handleProtocols: (offered) => cfg.protocols.find((p) => offered.has(p)) || false,
});

wss.on("listening", () => emit("listening", { port: wss.address().port }));
wss.on("error", (err) => {
  emit("error", { message: String(err) });
  process.exit(1);
});

wss.on("connection", (ws, request) => {
  emit("open", { protocol: ws.protocol, extensions: request.headers["sec-websocket-extensions"] || "" });
  ws.on("close", (code, reason) => emit("closed", { code, reason: reason.toString() }));
  ws.on("error", (err) => emit("connection-error", { message: String(err) }));
  // Sent right after the 101 response: the client must not lose it (RFC 6455 §4.1).
  ws.send("hello " + ws.protocol);
  ws.on("message", (data, isBinary) => {
    if (!isBinary) {
      const text = data.toString();
      if (text.startsWith("close ")) {
        const [, code, ...reason] = text.split(" ");
        ws.close(Number(code), reason.join(" "));
        return;
      }
      if (text.startsWith("ping ")) {
        const payload = text.slice("ping ".length);
        ws.once("pong", (data) => ws.send("pong " + data.toString()));
        ws.ping(Buffer.from(payload));
        return;
      }
    }
    ws.send(data, { binary: isBinary });
  });
});
