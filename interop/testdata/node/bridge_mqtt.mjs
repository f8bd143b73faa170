// mqtt.js (the seed's MQTT client library) through cmd/wsbridge to mosquitto's plain listener:
// the scenario of ../../bridge_test.go. Run from interop/ with the loader:
//
//   node --import ./testdata/node/loader.mjs testdata/node/bridge_mqtt.mjs '{"url": "ws://127.0.0.1:N/mqtt"}'
//
// It prints JSON events: "connected" (each client, each time), "received" (every message a
// subscriber gets: topic, payload, qos), "will" (the will message of a client dropped without
// DISCONNECT), "restart_now" (the test restarts the bridge) and "reconnected", then "done".

import mqtt from "mqtt";
import { emit } from "./common.mjs";

const cfg = JSON.parse(process.argv[2]);

function connect(clientId, extra = {}) {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(cfg.url, { clientId, reconnectPeriod: 500, connectTimeout: 10000, ...extra });
    client.on("connect", () => emit("connected", { client: clientId }));
    client.once("connect", () => resolve(client));
    client.once("error", reject);
  });
}

const received = [];
const waiters = [];
function onMessage(topic, payload, packet) {
  const m = { topic, payload: payload.toString(), qos: packet.qos };
  emit("received", m.payload.length > 100 ? { topic, bytes: payload.length, qos: packet.qos } : m);
  received.push(m);
  for (const w of waiters.splice(0)) w();
}
async function waitFor(pred, what, ms = 10000) {
  const deadline = Date.now() + ms;
  while (!received.some(pred)) {
    if (Date.now() > deadline) throw new Error("timed out waiting for " + what);
    await new Promise((r) => {
      waiters.push(r);
      setTimeout(r, 100);
    });
  }
}

async function main() {
  const sub = await connect("bridge-sub", { clean: false });
  sub.on("message", onMessage);
  await sub.subscribeAsync({ "bridge/qos0": { qos: 0 }, "bridge/qos1": { qos: 1 }, "bridge/qos2": { qos: 2 }, "bridge/will": { qos: 1 } });

  const pub = await connect("bridge-pub");
  for (const qos of [0, 1, 2]) {
    await pub.publishAsync(`bridge/qos${qos}`, `hello at qos ${qos}`, { qos });
    await waitFor((m) => m.topic === `bridge/qos${qos}` && m.payload === `hello at qos ${qos}`, `qos ${qos}`);
  }
  // A large publish: many WebSocket messages of the bridge's one way, one MQTT packet.
  const big = "x".repeat(300000);
  await pub.publishAsync("bridge/qos1", big, { qos: 1 });
  await waitFor((m) => m.topic === "bridge/qos1" && m.payload === big, "300 kB at qos 1");

  // The will: a client that vanishes without DISCONNECT has the broker publish its will.
  const doomed = await connect("bridge-doomed", {
    will: { topic: "bridge/will", payload: "doomed went away", qos: 1, retain: false },
    reconnectPeriod: 0,
  });
  doomed.stream.destroy(); // the TCP connection of the WebSocket, without a close frame or DISCONNECT
  await waitFor((m) => m.topic === "bridge/will" && m.payload === "doomed went away", "the will", 15000);
  emit("will", { ok: true });

  // The bridge restarts: both clients reconnect on their own, the subscriber's session (clean:
  // false) is kept by the broker, and messages flow again.
  let reconnects = 0;
  const back = new Promise((resolve) => {
    const seen = new Set();
    for (const [name, c] of [["sub", sub], ["pub", pub]]) {
      c.on("connect", () => {
        seen.add(name);
        reconnects++;
        if (seen.size === 2) resolve();
      });
    }
  });
  emit("restart_now");
  await back;
  emit("reconnected", { reconnects });
  await pub.publishAsync("bridge/qos1", "after the restart", { qos: 1 });
  await waitFor((m) => m.payload === "after the restart", "a message after the restart", 15000);

  await pub.endAsync();
  await sub.endAsync();
  emit("done");
  process.exit(0);
}

main().catch((err) => {
  emit("error", { message: String(err && err.stack) });
  process.exit(1);
});
