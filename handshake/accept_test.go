package handshake

import (
	"crypto/sha1"
	"encoding/base64"
	"strings"
	"testing"
)

// The key and answer of RFC 6455 §1.3 and §4.2.2 step 5.4.
const (
	rfcKey    = "dGhlIHNhbXBsZSBub25jZQ=="
	rfcAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
)

// referenceAccept computes Sec-WebSocket-Accept the obvious way, to check
// AcceptKey's stack-buffer version against.
func referenceAccept(key string) string {
	sum := sha1.Sum([]byte(key + GUID))
	return base64.StdEncoding.EncodeToString(sum[:])
}

func TestAcceptKey(t *testing.T) {
	tests := []struct {
		name, key, want string
	}{
		{"§1.3 and §4.2.2 example", rfcKey, rfcAccept},
		{"empty key", "", referenceAccept("")},
		{"key that fills the stack buffer", strings.Repeat("k", 64), referenceAccept(strings.Repeat("k", 64))},
		{"key longer than the stack buffer", strings.Repeat("k", 65), referenceAccept(strings.Repeat("k", 65))},
		{"key much longer than the stack buffer", strings.Repeat("abc", 1000), referenceAccept(strings.Repeat("abc", 1000))},
	}
	for _, tt := range tests {
		if got := AcceptKey(tt.key); got != tt.want {
			t.Errorf("%s: AcceptKey(%q) = %q, want %q", tt.name, tt.key, got, tt.want)
		}
	}
}

func TestAcceptKeyAllocs(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() { _ = AcceptKey(rfcKey) })
	if allocs > 1 {
		t.Errorf("AcceptKey allocates %v times, want at most 1 (the result string)", allocs)
	}
}

func TestNewKey(t *testing.T) {
	seen := make(map[string]bool)
	for i := 0; i < 1000; i++ {
		key := NewKey()
		// §4.1 item 7: a randomly selected 16-byte value, base64-encoded.
		raw, err := base64.StdEncoding.DecodeString(key)
		if err != nil || len(raw) != 16 {
			t.Fatalf("NewKey() = %q: decodes to %d bytes, err %v; want 16 bytes", key, len(raw), err)
		}
		if !ValidKey(key) {
			t.Fatalf("ValidKey(NewKey()) = false for %q", key)
		}
		// §4.1 item 7: "The nonce MUST be selected randomly for each connection."
		if seen[key] {
			t.Fatalf("NewKey returned %q twice", key)
		}
		seen[key] = true
	}
}

func TestValidKey(t *testing.T) {
	tests := []struct {
		name string
		key  string
		want bool
	}{
		{"§4.2.1 item 5: the RFC's example key", rfcKey, true},
		{"§4.2.1 item 5: all-zero 16 bytes", "AAAAAAAAAAAAAAAAAAAAAA==", true},
		{"§4.2.1 item 5: '+' and '/' are base64", "++++////++++////++++//==", true},
		{"§4.2.1 item 5: nonzero padding bits still decode to 16 bytes", "dGhlIHNhbXBsZSBub25jZR==", true},
		{"§4.2.1 item 5: 15 bytes", base64.StdEncoding.EncodeToString(make([]byte, 15)), false},
		{"§4.2.1 item 5: 17 bytes", base64.StdEncoding.EncodeToString(make([]byte, 17)), false},
		{"§4.2.1 item 5: 32 bytes", base64.StdEncoding.EncodeToString(make([]byte, 32)), false},
		{"§4.2.1 item 5: 16 bytes without padding", "dGhlIHNhbXBsZSBub25jZQ", false},
		{"§4.2.1 item 5: one '=' only", "dGhlIHNhbXBsZSBub25jZQ=A", false},
		{"§4.2.1 item 5: URL alphabet is not base64", "-_-_-_-_-_-_-_-_-_-_-_==", false},
		{"§4.2.1 item 5: space inside", "dGhlIHNhbXBsZ SBub25jZQ==", false},
		{"§4.2.1 item 5: CR LF inside", "dGhlIHNhbXBsZSBub25j\r\nQ==", false},
		{"§4.2.1 item 5: '=' in the middle", "dGhlIHNhbXBs=SBub25jZQ==", false},
		{"§4.2.1 item 5: empty", "", false},
		{"§4.2.1 item 5: non-ASCII", "dGhlIHNhbXBsZSBub25jZé=", false},
	}
	for _, tt := range tests {
		if got := ValidKey(tt.key); got != tt.want {
			t.Errorf("%s: ValidKey(%q) = %v, want %v", tt.name, tt.key, got, tt.want)
		}
	}
}

func TestValidKeyAllocs(t *testing.T) {
	if allocs := testing.AllocsPerRun(100, func() { _ = ValidKey(rfcKey) }); allocs != 0 {
		t.Errorf("ValidKey allocates %v times, want 0", allocs)
	}
}
