// What "mqtt" resolves to for the seed's client programs (see hooks.mjs): mqtt.js, except that
// connect replaces a broker URL named in the JSON object INTEROP_REDIRECT by the URL it maps to.
import mqtt from "mqtt";

const redirects = JSON.parse(process.env.INTEROP_REDIRECT || "{}");

export default {
  ...mqtt,
  connect(url, ...rest) {
    return mqtt.connect(redirects[url] ?? url, ...rest);
  },
};
