// Many mqtt.js clients through a load balancer in front of several cmd/wsbridge instances, one
// mosquitto behind them: the scale-out scenario of ../../bridge_test.go. Run from interop/ with
// the loader:
//
//   node --import ./testdata/node/loader.mjs testdata/node/bridge_scale.mjs '{"url": "wss://127.0.0.1:N/mqtt", "clients": 300, "messages": 200}'
//
// Every subscriber keeps its session (clean: false) and subscribes to one topic at QoS 1; once
// all have, a publisher sends the messages 1..N at QoS 1, a few milliseconds apart. The test
// kills a bridge while they flow: the clients that were on it reconnect through the balancer,
// and the broker delivers what they missed. Events: "subscribed", "published" (every 20
// messages), "progress", and "done" with what each subscriber got: how many clients had every
// message, the lowest count, duplicates (QoS 1 may deliver twice) and reconnections.

import mqtt from "mqtt";
import { emit } from "./common.mjs";

const cfg = JSON.parse(process.argv[2]);
const topic = "scale/qos1";

function connect(clientId, extra = {}) {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(cfg.url, { clientId, reconnectPeriod: 300, connectTimeout: 10000, ...extra });
    client.once("connect", () => resolve(client));
    client.once("error", reject);
  });
}

async function main() {
  const subs = [];
  let reconnects = 0;
  for (let i = 0; i < cfg.clients; i++) {
    const got = new Map(); // message number → times received
    const client = await connect(`scale-sub-${i}`, { clean: false });
    client.on("message", (_, payload) => {
      const n = Number(payload.toString());
      got.set(n, (got.get(n) || 0) + 1);
    });
    client.on("connect", () => reconnects++);
    await client.subscribeAsync(topic, { qos: 1 });
    subs.push({ client, got });
  }
  emit("subscribed", { clients: subs.length });

  const pub = await connect("scale-pub");
  pub.on("connect", () => reconnects++);
  for (let n = 1; n <= cfg.messages; n++) {
    // Resolves on PUBACK: the broker has it (MQTT 3.1.1 §4.3.2), reconnect or not.
    await pub.publishAsync(topic, String(n), { qos: 1 });
    if (n % 20 === 0) emit("published", { count: n });
    await new Promise((r) => setTimeout(r, cfg.interval_ms || 10));
  }

  const complete = () => subs.filter((s) => s.got.size === cfg.messages).length;
  const deadline = Date.now() + (cfg.wait_ms || 30000);
  while (complete() < subs.length && Date.now() < deadline) {
    emit("progress", { complete: complete() });
    await new Promise((r) => setTimeout(r, 500));
  }
  let lowest = cfg.messages;
  let duplicates = 0;
  for (const s of subs) {
    lowest = Math.min(lowest, s.got.size);
    for (const times of s.got.values()) duplicates += times - 1;
  }
  emit("done", { clients: subs.length, complete: complete(), lowest, duplicates, reconnects });
  await Promise.all([pub, ...subs.map((s) => s.client)].map((c) => c.endAsync()));
  process.exit(0);
}

main().catch((err) => {
  emit("error", { message: String(err && err.stack) });
  process.exit(1);
});
