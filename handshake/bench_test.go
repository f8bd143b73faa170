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
