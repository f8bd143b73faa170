// Module resolution hooks for the Node scripts of the interop tests (registered by loader.mjs).
//
// 1. The scripts live in interop/testdata/node, but npm installs their packages in
//    interop/node/node_modules (npm ci --prefix interop/node). A bare import (ws, mqtt) that
//    does not resolve from the script is resolved from interop/node instead.
//
// 2. The seed's client programs (seed_*.mjs) are run exactly as the seed document has them, and
//    so connect to fixed addresses: ws://localhost:8080 and ws://localhost:8083/mqtt. For them
//    alone, "ws" and "mqtt" resolve to seed_ws.mjs and seed_mqtt.mjs, which hand the library a
//    different address when the environment variable INTEROP_REDIRECT maps it to one, like a
//    hosts file entry: the test's servers run on free ports.

const nodeDir = new URL("../../node/", import.meta.url);
const shims = { ws: "./seed_ws.mjs", mqtt: "./seed_mqtt.mjs" };

export async function resolve(specifier, context, nextResolve) {
  const parent = context.parentURL || "";
  if (specifier in shims && /\/seed_[^/]*\.mjs$/.test(parent) && !/\/seed_(ws|mqtt)\.mjs$/.test(parent)) {
    return { url: new URL(shims[specifier], import.meta.url).href, shortCircuit: true };
  }
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    const bare = !specifier.startsWith(".") && !specifier.startsWith("/") && !specifier.includes(":");
    if (err.code !== "ERR_MODULE_NOT_FOUND" || !bare) {
      throw err;
    }
    return nextResolve(specifier, { ...context, parentURL: new URL("package.json", nodeDir).href });
  }
}
