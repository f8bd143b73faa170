// Shared by the Node peer scripts of the interop tests (see ../../scenario_test.go).

// emit prints one JSON event on a line of its own, for the Go test to read.
export function emit(event, fields = {}) {
  process.stdout.write(JSON.stringify({ event, ...fields }) + "\n");
}

// Text mixes code points of 1 to 4 bytes, as the Go test's payload function does, so that
// characters straddle frame and buffer boundaries.
const RUNES = Array.from("WebSocket é ß € ✓ 🌍 𝄞 ");
const RUNES_BYTES = Buffer.byteLength(RUNES.join(""));

// Binary content repeats every 65536 bytes: byte i is i*7 + i/256, modulo 256.
const BINARY_BLOCK = Buffer.alloc(65536);
for (let i = 0; i < BINARY_BLOCK.length; i++) {
  BINARY_BLOCK[i] = (i * 7 + (i >> 8)) & 0xff;
}

// payload returns a message of exactly size bytes, as a Buffer: valid UTF-8 for text.
export function payload(text, size) {
  if (!text) {
    const b = Buffer.alloc(size);
    for (let i = 0; i < size; i += BINARY_BLOCK.length) {
      BINARY_BLOCK.copy(b, i, 0, Math.min(BINARY_BLOCK.length, size - i));
    }
    return b;
  }
  const whole = Math.floor(size / RUNES_BYTES);
  const parts = [RUNES.join("").repeat(whole)];
  let used = whole * RUNES_BYTES;
  for (let i = whole * RUNES.length; used < size; i++) {
    // The tail: pad with one-byte characters to the exact size.
    let c = RUNES[i % RUNES.length];
    if (used + Buffer.byteLength(c) > size) {
      c = "x";
    }
    parts.push(c);
    used += Buffer.byteLength(c);
  }
  return Buffer.from(parts.join(""));
}

// compare returns "" if the received message (data, isBinary) is an echo of sent, else why not.
export function compare(sent, sentBinary, data, isBinary) {
  if (sentBinary !== isBinary) {
    return "came back as " + (isBinary ? "binary" : "text");
  }
  if (sent.equals(data)) {
    return "";
  }
  let first = 0;
  while (first < Math.min(sent.length, data.length) && sent[first] === data[first]) {
    first++;
  }
  return `sent ${sent.length} bytes, received ${data.length}, first difference at byte ${first}`;
}

// Inbox queues the messages of a ws WebSocket so that a script can await them in order.
export class Inbox {
  constructor(ws) {
    this.messages = [];
    this.waiters = [];
    ws.on("message", (data, isBinary) => {
      const m = { data, isBinary };
      const w = this.waiters.shift();
      if (w) {
        w(m);
      } else {
        this.messages.push(m);
      }
    });
  }

  // next resolves to the next message, or rejects after timeoutMs.
  next(timeoutMs = 30000) {
    if (this.messages.length > 0) {
      return Promise.resolve(this.messages.shift());
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no message within " + timeoutMs + " ms")), timeoutMs);
      this.waiters.push((m) => {
        clearTimeout(timer);
        resolve(m);
      });
    });
  }
}

// once resolves with the arguments of the emitter's next event, rejecting on "error" or after
// timeoutMs.
export function once(emitter, event, timeoutMs = 15000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} event within ${timeoutMs} ms`)), timeoutMs);
    emitter.once(event, (...args) => {
      clearTimeout(timer);
      resolve(args);
    });
    if (event !== "error") {
      emitter.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
    }
  });
}
