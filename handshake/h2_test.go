package handshake

import (
	"errors"
	"net/http"
	"testing"
)

// TestCheckExtendedConnect checks the rules of RFC 8441 for a WebSocket over an HTTP/2 stream,
// each case named by its section.
func TestCheckExtendedConnect(t *testing.T) {
	valid := func() *http.Request {
		r, _ := http.NewRequest(http.MethodConnect, "https://example.com/chat", nil)
		r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/2.0", 2, 0
		r.Header.Set(ProtocolPseudoHeader, "websocket")
		r.Header.Set("Sec-WebSocket-Version", "13")
		return r
	}
	tests := []struct {
		name   string
		change func(r *http.Request)
		status int // 0: valid
	}{
		{"RFC 8441 §4 valid", func(r *http.Request) {}, 0},
		{"RFC 8441 §5 no Sec-WebSocket-Key needed", func(r *http.Request) { r.Header.Del("Sec-WebSocket-Key") }, 0},
		{"RFC 8441 §4 method GET", func(r *http.Request) { r.Method = http.MethodGet }, http.StatusMethodNotAllowed},
		{"RFC 9220 §3 another protocol", func(r *http.Request) { r.Header.Set(ProtocolPseudoHeader, "connect-udp") }, http.StatusNotImplemented},
		{"RFC 9220 §3 a plain CONNECT", func(r *http.Request) { r.Header.Del(ProtocolPseudoHeader) }, http.StatusNotImplemented},
		{"RFC 9113 §8.5 no :authority", func(r *http.Request) { r.Host = "" }, http.StatusBadRequest},
		{"RFC 6455 §4.2.1 item 6 no version", func(r *http.Request) { r.Header.Del("Sec-WebSocket-Version") }, http.StatusBadRequest},
		{"RFC 6455 §4.2.1 item 6 version 8", func(r *http.Request) { r.Header.Set("Sec-WebSocket-Version", "8") }, http.StatusBadRequest},
		{"RFC 6455 §4.2.1 item 6 two versions", func(r *http.Request) { r.Header.Add("Sec-WebSocket-Version", "13") }, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := valid()
			tt.change(r)
			err := CheckExtendedConnect(r)
			if tt.status == 0 {
				if err != nil {
					t.Fatalf("CheckExtendedConnect = %v, want nil", err)
				}
				return
			}
			var he *Error
			if !errors.As(err, &he) || he.Status != tt.status {
				t.Fatalf("CheckExtendedConnect = %v, want status %d", err, tt.status)
			}
			if tt.status == http.StatusBadRequest && he.Header.Get("Sec-WebSocket-Version") == "" && r.Host != "" {
				t.Errorf("RFC 6455 §4.4: a refused version names the one spoken")
			}
		})
	}
}

// TestIsExtendedConnect tells an RFC 8441 request from an RFC 6455 one.
func TestIsExtendedConnect(t *testing.T) {
	r, _ := http.NewRequest(http.MethodConnect, "https://example.com/", nil)
	r.ProtoMajor = 2
	if IsExtendedConnect(r) {
		t.Error("a CONNECT without :protocol is extended CONNECT")
	}
	r.Header.Set(ProtocolPseudoHeader, "websocket")
	if !IsExtendedConnect(r) {
		t.Error("an HTTP/2 CONNECT with :protocol is not extended CONNECT")
	}
	r.ProtoMajor = 1
	if IsExtendedConnect(r) {
		t.Error("an HTTP/1.1 CONNECT is extended CONNECT")
	}
}
