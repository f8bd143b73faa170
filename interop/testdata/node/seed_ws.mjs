// What "ws" resolves to for the seed's client programs (see hooks.mjs): the ws library's
// WebSocket, except that an address named in the JSON object INTEROP_REDIRECT is replaced by
// the address it maps to.
import WebSocket from "ws";

const redirects = JSON.parse(process.env.INTEROP_REDIRECT || "{}");

export default class RedirectedWebSocket extends WebSocket {
  constructor(address, ...rest) {
    super(redirects[address] ?? address, ...rest);
  }
}
