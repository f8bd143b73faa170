package handshake

import (
	"net/http"
	"testing"
)

func BenchmarkAcceptKey(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(rfcKey)))
	for b.Loop() {
		_ = AcceptKey(rfcKey)
	}
}

func BenchmarkCheckRequest(b *testing.B) {
	r := readRequest(b, seedRequest...)
	b.ReportAllocs()
	for b.Loop() {
		if err := CheckRequest(r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHasToken(b *testing.B) {
	h := http.Header{"Connection": {"keep-alive, Upgrade"}}
	b.ReportAllocs()
	b.SetBytes(int64(len(h["Connection"][0])))
	for b.Loop() {
		if !HasToken(h, "Connection", "upgrade") {
			b.Fatal("no token")
		}
	}
}

func BenchmarkAppendResponse(b *testing.B) {
	extra := http.Header{"Set-Cookie": {"session=1"}}
	buf := AppendResponse(nil, rfcKey, "wamp", "permessage-deflate", extra)
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		buf = AppendResponse(buf[:0], rfcKey, "wamp", "permessage-deflate", extra)
	}
}

func BenchmarkAppendRequest(b *testing.B) {
	protocols := []string{"soap", "wamp"}
	extra := http.Header{"Origin": {"http://example.com"}}
	buf := AppendRequest(nil, "/chatService", "server.example.com", rfcKey, protocols, "permessage-deflate", extra)
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		buf = AppendRequest(buf[:0], "/chatService", "server.example.com", rfcKey, protocols, "permessage-deflate", extra)
	}
}

func BenchmarkParseExtensions(b *testing.B) {
	h := extHeader("permessage-deflate; client_max_window_bits, permessage-deflate")
	b.ReportAllocs()
	b.SetBytes(int64(len(h["Sec-Websocket-Extensions"][0])))
	for b.Loop() {
		if _, err := ParseExtensions(h); err != nil {
			b.Fatal(err)
		}
	}
}

// browserHead is an opening handshake as a browser sends it, with the
// fields Chromium adds around the WebSocket ones.
var browserHead = []byte("GET /chat HTTP/1.1\r\n" +
	"Host: localhost:8080\r\n" +
	"Connection: Upgrade\r\n" +
	"Pragma: no-cache\r\n" +
	"Cache-Control: no-cache\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36\r\n" +
	"Upgrade: websocket\r\n" +
	"Origin: http://localhost:8080\r\n" +
	"Sec-WebSocket-Version: 13\r\n" +
	"Accept-Encoding: gzip, deflate, br, zstd\r\n" +
	"Accept-Language: en-US,en;q=0.9\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
	"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" +
	"\r\n")

// rawHeads are the request heads of the raw parser's benchmarks: the
// smallest valid handshake (what load generators send) and a browser's.
var rawHeads = []struct {
	name string
	head []byte
}{
	{"minimal", AppendRequest(nil, "/chat", "server.example.com", rfcKey, nil, "", nil)},
	{"browser", browserHead},
}

func BenchmarkParseRequest(b *testing.B) {
	for _, h := range rawHeads {
		b.Run(h.name, func(b *testing.B) {
			var r Request
			b.ReportAllocs()
			b.SetBytes(int64(len(h.head)))
			for b.Loop() {
				if HeadLength(h.head) != len(h.head) {
					b.Fatal("HeadLength")
				}
				if err := r.Parse(h.head); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRequestCheck runs what a server asks of a parsed request:
// Check, CheckOrigin and the key.
func BenchmarkRequestCheck(b *testing.B) {
	for _, h := range rawHeads {
		b.Run(h.name, func(b *testing.B) {
			r, err := ParseRequest(h.head)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := r.Check(); err != nil {
					b.Fatal(err)
				}
				if err := r.CheckOrigin(nil); err != nil {
					b.Fatal(err)
				}
				if r.Get("Sec-WebSocket-Key") == "" {
					b.Fatal("no key")
				}
			}
		})
	}
}
