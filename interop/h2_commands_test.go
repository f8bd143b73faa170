//go:build unix

package interop

import (
	"regexp"
	"testing"
	"time"
)

// TestWscatHTTP2: cmd/wscat -h2 against cmd/echo over TLS opens its WebSocket as a stream of an
// HTTP/2 connection (RFC 8441), echoes, and closes; cmd/echo logs http=2 for it. Both sides are
// ours; the browser and other peers are in TestBrowserHTTP2.
func TestWscatHTTP2(t *testing.T) {
	t.Parallel()
	cert := newTestCert(t)
	echo := startEcho(t, "-tls-cert", cert.certFile, "-tls-key", cert.keyFile, "-subprotocols", "wamp")
	out, status := runWscat(t, "hello over h2\n", []string{"SSL_CERT_FILE=" + cert.certFile},
		"-h2", "-subprotocols", "soap,wamp", echo.url("/ws"))
	if status != 0 {
		t.Errorf("wscat exited with status %d, want 0", status)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^< hello over h2$`),
		regexp.MustCompile(`(?m)^closed: 1000$`),
	} {
		if !want.MatchString(out) {
			t.Errorf("wscat's output lacks %q:\n%s", want, out)
		}
	}
	echo.waitOutput(t, regexp.MustCompile(`subprotocol="wamp" close=1000 reason="" messages=1 duration=\S+ http=2`), 15*time.Second)
}

// TestWscatH2C: cmd/wscat -h2 with a ws:// URL speaks HTTP/2 with prior knowledge to
// cmd/echo -h2c, and its WebSocket is a stream of that cleartext connection.
func TestWscatH2C(t *testing.T) {
	t.Parallel()
	echo := startEcho(t, "-h2c")
	out, status := runWscat(t, "hello over h2c\n", nil, "-h2", echo.url("/ws"))
	if status != 0 {
		t.Errorf("wscat exited with status %d, want 0", status)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^< hello over h2c$`),
		regexp.MustCompile(`(?m)^closed: 1000$`),
	} {
		if !want.MatchString(out) {
			t.Errorf("wscat's output lacks %q:\n%s", want, out)
		}
	}
	echo.waitOutput(t, regexp.MustCompile(`close=1000 reason="" messages=1 duration=\S+ http=2`), 15*time.Second)
}
