// Shared by the Node scripts of the compression tests (see ../../compression_test.go): the
// messages they send, and what they report of the permessage-deflate parameters in force.

import { payload } from "./common.mjs";

// randomBytes returns n bytes of a xorshift32 generator seeded with seed: deterministic, and
// beyond what deflate can shrink.
function randomBytes(n, seed) {
  const b = Buffer.alloc(n);
  let x = (seed || 1) >>> 0;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[i] = x >>> 24;
  }
  return b;
}

// generate returns the message a spec of the Go test describes ({kind, size, seed}), as
// { data: Buffer, binary: boolean }:
//
//   - "text", "binary": the scenario's usual content (common.mjs payload);
//   - "repeated": text of one character repeated, which deflate shrinks about 1000:1;
//   - "random": bytes from a generator seeded with seed, which deflate cannot shrink;
//   - "window": a block of 2048 random bytes repeated, which deflate shrinks only when its LZ77
//     window holds 2048 bytes or more (RFC 7692 §7.1.2: max_window_bits of 12 and up).
export function generate(spec) {
  switch (spec.kind) {
    case "text":
      return { data: payload(true, spec.size), binary: false };
    case "binary":
      return { data: payload(false, spec.size), binary: true };
    case "repeated":
      return { data: Buffer.alloc(spec.size, "a"), binary: false };
    case "random":
      return { data: randomBytes(spec.size, spec.seed), binary: true };
    case "window": {
      const block = randomBytes(2048, spec.seed);
      const b = Buffer.alloc(spec.size);
      for (let i = 0; i < spec.size; i += block.length) {
        block.copy(b, i, 0, Math.min(block.length, spec.size - i));
      }
      return { data: b, binary: true };
    }
  }
  throw new Error("unknown message kind " + spec.kind);
}

// send sends a message whole, or as that many fragments (RFC 6455 §5.4): one frame per send with
// fin: false, then the last. ws compresses the fragments as one stream, with RSV1 on the first
// frame only (RFC 7692 §6.1).
export function send(ws, { data, binary }, fragments) {
  if (!fragments || fragments <= 1) {
    ws.send(data, { binary });
    return;
  }
  const step = Math.ceil(data.length / fragments);
  for (let i = 0; i < data.length; i += step) {
    const end = Math.min(i + step, data.length);
    ws.send(data.subarray(i, end), { binary, fin: end === data.length });
  }
}

// deflateParams returns the permessage-deflate parameters in force on ws as the library
// negotiated them, named as RFC 7692 §7.1 names them (an absent max_window_bits is 15), or null
// when the extension is not in use. ws keeps them in a private field; the version is pinned.
export function deflateParams(ws) {
  const ext = ws._extensions && ws._extensions["permessage-deflate"];
  if (!ext) {
    return null;
  }
  const p = ext.params;
  const bits = (v) => (typeof v === "number" ? v : 15);
  return {
    server_no_context_takeover: !!p.server_no_context_takeover,
    client_no_context_takeover: !!p.client_no_context_takeover,
    server_max_window_bits: bits(p.server_max_window_bits),
    client_max_window_bits: bits(p.client_max_window_bits),
  };
}
