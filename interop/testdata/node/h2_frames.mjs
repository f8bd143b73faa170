// WebSocket frames by hand (RFC 6455 §5.2), for the Node RFC 8441 scripts: Node's http2 module
// carries the stream, and nothing of Node's knows WebSocket frames, so these few lines make and
// read them. They are the peer's own reading of the RFC, written apart from ours.

import { randomBytes } from "node:crypto";

export const OP = { CONTINUATION: 0, TEXT: 1, BINARY: 2, CLOSE: 8, PING: 9, PONG: 10 };

// encodeFrame returns one frame; a client masks it (§5.3), a server does not.
export function encodeFrame(opcode, payload, { fin = true, mask = false } = {}) {
  const n = payload.length;
  let head;
  if (n < 126) {
    head = Buffer.from([0, n]);
  } else if (n < 65536) {
    head = Buffer.alloc(4);
    head[1] = 126;
    head.writeUInt16BE(n, 2);
  } else {
    head = Buffer.alloc(10);
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  head[0] = (fin ? 0x80 : 0) | opcode;
  if (!mask) {
    return Buffer.concat([head, payload]);
  }
  head[1] |= 0x80;
  const key = randomBytes(4);
  const body = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    body[i] = payload[i] ^ key[i & 3];
  }
  return Buffer.concat([head, key, body]);
}

// closePayload is a close frame's body: the code, then the reason in UTF-8 (§5.5.1).
export function closePayload(code, reason = "") {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(code);
  return Buffer.concat([b, Buffer.from(reason)]);
}

// A FrameReader takes a stream's bytes as they come and calls onMessage(opcode, payload) for
// each whole message and onControl(opcode, payload) for each control frame. It throws on a
// frame whose masking is wrong for its direction: wantMasked says whether frames must be.
export class FrameReader {
  constructor(wantMasked, onMessage, onControl) {
    this.wantMasked = wantMasked;
    this.onMessage = onMessage;
    this.onControl = onControl;
    this.buf = Buffer.alloc(0);
    this.message = null; // { opcode, parts }
  }

  push(chunk) {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      const frame = this.next();
      if (!frame) {
        return;
      }
      this.handle(frame);
    }
  }

  next() {
    const b = this.buf;
    if (b.length < 2) {
      return null;
    }
    const fin = (b[0] & 0x80) !== 0;
    const opcode = b[0] & 0x0f;
    const masked = (b[1] & 0x80) !== 0;
    let n = b[1] & 0x7f;
    let at = 2;
    if (n === 126) {
      if (b.length < 4) return null;
      n = b.readUInt16BE(2);
      at = 4;
    } else if (n === 127) {
      if (b.length < 10) return null;
      n = Number(b.readBigUInt64BE(2));
      at = 10;
    }
    if (masked !== this.wantMasked) {
      throw new Error(`frame with MASK=${masked ? 1 : 0}, want ${this.wantMasked ? 1 : 0} (RFC 6455 §5.1)`);
    }
    const keyAt = at;
    if (masked) at += 4;
    if (b.length < at + n) {
      return null;
    }
    let payload = Buffer.from(b.subarray(at, at + n));
    if (masked) {
      for (let i = 0; i < n; i++) {
        payload[i] ^= b[keyAt + (i & 3)];
      }
    }
    this.buf = b.subarray(at + n);
    return { fin, opcode, payload };
  }

  handle({ fin, opcode, payload }) {
    if (opcode >= 8) {
      this.onControl(opcode, payload);
      return;
    }
    if (opcode !== OP.CONTINUATION) {
      this.message = { opcode, parts: [] };
    }
    this.message.parts.push(payload);
    if (fin) {
      const { opcode: op, parts } = this.message;
      this.message = null;
      this.onMessage(op, Buffer.concat(parts));
    }
  }
}
