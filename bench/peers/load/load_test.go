package load

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rfc6455/ws/frame"
	"github.com/rfc6455/ws/handshake"
	"github.com/rfc6455/ws/mask"
)

// TestMatrix checks the standard matrix: 53 distinct, valid scenarios, the unfragmented ones
// within the bytes-in-flight cap, and every quick scenario among them.
func TestMatrix(t *testing.T) {
	m := Matrix()
	if len(m) != 53 {
		t.Fatalf("Matrix has %d scenarios, want 53", len(m))
	}
	seen := map[string]bool{}
	frag := 0
	for _, s := range m {
		if err := s.Validate(); err != nil {
			t.Errorf("%s: %v", s.Name(), err)
		}
		if seen[s.Name()] {
			t.Errorf("%s appears twice", s.Name())
		}
		seen[s.Name()] = true
		if s.Frags > 1 {
			frag++
		} else if s.Conns*s.InFlight*s.Size > MaxBytesInFlight {
			t.Errorf("%s: %d bytes in flight, above the cap", s.Name(), s.Conns*s.InFlight*s.Size)
		}
		if got, err := Lookup(s.Name()); err != nil || got != s {
			t.Errorf("Lookup(%q) = %+v, %v", s.Name(), got, err)
		}
	}
	if frag != 5 {
		t.Errorf("%d fragmented scenarios, want 5", frag)
	}
	for _, s := range QuickMatrix() {
		if !seen[s.Name()] {
			t.Errorf("quick scenario %s is not in the matrix", s.Name())
		}
	}
	if _, err := Lookup("c1/k1/binary/17B"); err == nil {
		t.Error("Lookup of a name outside the matrix succeeded")
	}
}

func TestSizes(t *testing.T) {
	for _, c := range []struct {
		n    int
		name string
	}{{0, "0B"}, {16, "16B"}, {1000, "1000B"}, {1 << 10, "1KiB"}, {64 << 10, "64KiB"}, {1 << 20, "1MiB"}, {3 << 20, "3MiB"}} {
		if got := FormatSize(c.n); got != c.name {
			t.Errorf("FormatSize(%d) = %q, want %q", c.n, got, c.name)
		}
		if got, err := ParseSize(c.name); err != nil || got != c.n {
			t.Errorf("ParseSize(%q) = %d, %v", c.name, got, err)
		}
	}
	if got, err := ParseSize("4096"); err != nil || got != 4096 {
		t.Errorf("ParseSize(4096) = %d, %v", got, err)
	}
	for _, bad := range []string{"", "KiB", "-1B", "1.5MiB", "x"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) succeeded", bad)
		}
	}
}

// TestFramesDecode decodes the pre-built wire bytes the way a server must and checks that they
// carry the message: masked frames (§5.1, §5.3) with non-zero keys, the fragmentation rules of
// §5.4, a ping between each two fragments (§5.5), valid UTF-8 for text (§5.6).
func TestFramesDecode(t *testing.T) {
	for _, sc := range []Scenario{
		{Conns: 1, InFlight: 1, Size: 16, Frags: 1},
		{Conns: 1, InFlight: 1, Size: 1 << 10, Text: true, Frags: 1},
		{Conns: 1, InFlight: 1, Size: 1 << 10, Text: true, Frags: 4},
		{Conns: 1, InFlight: 1, Size: 70000, Frags: 3},
		{Conns: 1, InFlight: 1, Size: 5, Text: true, Frags: 5},
	} {
		msgs := buildMessages(sc, wireFormat{})
		for v, m := range msgs {
			if sc.Text && !utf8.Valid(m.payload) {
				t.Errorf("%s variant %d: text is not UTF-8", sc.Name(), v)
			}
			if v > 0 && sc.Size > 0 && bytes.Equal(m.payload, msgs[0].payload) {
				t.Errorf("%s: variants 0 and %d are equal", sc.Name(), v)
			}
			var got []byte
			wire, inMessage, frames, pings := m.wire, false, 0, 0
			for len(wire) > 0 {
				h, n, err := frame.ParseHeader(wire)
				if err != nil {
					t.Fatalf("%s: %v", sc.Name(), err)
				}
				if err := h.Check(frame.RoleServer, 0); err != nil {
					t.Fatalf("%s: %v", sc.Name(), err)
				}
				if h.Key == [4]byte{} {
					t.Errorf("%s: zero masking key", sc.Name())
				}
				p := append([]byte(nil), wire[n:n+int(h.Length)]...)
				mask.Apply(h.Key, 0, p)
				wire = wire[n+int(h.Length):]
				if h.Op.IsControl() {
					pings++
					if h.Op != frame.OpPing || !bytes.Equal(p, pingPayload(pings)) {
						t.Errorf("%s: control frame %v %q, want ping %d", sc.Name(), h.Op, p, pings)
					}
					continue
				}
				if err := frame.CheckSequence(inMessage, h); err != nil {
					t.Fatalf("%s: %v", sc.Name(), err)
				}
				if !inMessage && h.Op != m.op {
					t.Errorf("%s: first frame %v, want %v", sc.Name(), h.Op, m.op)
				}
				inMessage = !h.Fin
				frames++
				got = append(got, p...)
			}
			if inMessage || frames != sc.Frags || pings != sc.Frags-1 || !bytes.Equal(got, m.payload) {
				t.Errorf("%s: %d frames, %d pings, complete=%v, payload equal=%v", sc.Name(), frames, pings, !inMessage, bytes.Equal(got, m.payload))
			}
		}
	}
}

// fault is a way for the test echo server to misbehave.
type fault int

const (
	faultNone        fault = iota
	faultDropPong          // never answers a ping
	faultWrongOpcode       // echoes text as binary
	faultFlipByte          // changes one payload byte
	faultBadClose          // answers close 1000 with 1001
	faultMasked            // masks what it sends, which a server must not (§5.1)
)

// faultyServer is a minimal echo server built from the packages of the root module, which echoes
// frame by frame and misbehaves as told.
func faultyServer(t *testing.T, f fault) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := handshake.CheckRequest(r); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		nc, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer nc.Close()
		nc.Write(handshake.AppendResponse(nil, r.Header.Get("Sec-WebSocket-Key"), "", "", nil))
		for {
			h, err := frame.ReadHeader(brw.Reader)
			if err != nil {
				return
			}
			p := make([]byte, h.Length)
			if _, err := io.ReadFull(brw.Reader, p); err != nil {
				return
			}
			mask.Apply(h.Key, 0, p)
			out := frame.Header{Fin: h.Fin, Op: h.Op}
			switch {
			case h.Op == frame.OpPing && f == faultDropPong:
				continue
			case h.Op == frame.OpPing:
				out.Op = frame.OpPong
			case h.Op == frame.OpText && f == faultWrongOpcode:
				out.Op = frame.OpBinary
			case h.Op == frame.OpClose && f == faultBadClose:
				p = frame.AppendClose(nil, frame.CloseGoingAway, "")
			case h.Op.IsData() && f == faultFlipByte && len(p) > 0:
				p[len(p)/2] ^= 0x20
			}
			out.Length = int64(len(p))
			if f == faultMasked {
				out.Masked, out.Key = true, [4]byte{1, 2, 3, 4}
				mask.Apply(out.Key, 0, p)
			}
			nc.Write(append(frame.AppendHeader(nil, out), p...))
			if h.Op == frame.OpClose {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/"
}

// tcpEcho is a plain TCP echo on loopback that flips one byte of the stream if flip is true.
func tcpEcho(t *testing.T, flip bool) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 4096)
				total := 0
				for {
					n, err := c.Read(buf)
					if flip && total <= 100 && 100 < total+n {
						buf[100-total] ^= 1
					}
					total += n
					if n > 0 {
						c.Write(buf[:n])
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return "ws://" + ln.Addr().String() + "/"
}

// TestRunCatchesFaults checks that the generator verifies what it claims to: a correct server
// passes with every byte counted, and each kind of misbehaviour is reported as an error.
func TestRunCatchesFaults(t *testing.T) {
	sc := Scenario{Conns: 2, InFlight: 3, Size: 1000, Text: true, Frags: 4}
	opts := Options{Messages: 10, Timeout: 5 * time.Second}
	cases := []struct {
		name    string
		target  Target
		wantErr string // "" for none
	}{
		{"correct server", Target{URL: faultyServer(t, faultNone)}, ""},
		{"§5.5.3 pong missing", Target{URL: faultyServer(t, faultDropPong)}, "pongs"},
		{"§5.6 wrong opcode", Target{URL: faultyServer(t, faultWrongOpcode)}, "opcode"},
		{"payload byte changed", Target{URL: faultyServer(t, faultFlipByte)}, "differs"},
		{"§7.1.2 close answered with another code", Target{URL: faultyServer(t, faultBadClose)}, "answered close 1000 with 1001"},
		{"§5.1 server masks", Target{URL: faultyServer(t, faultMasked)}, "masked"},
		{"raw: correct TCP echo", Target{URL: tcpEcho(t, false), Raw: true}, ""},
		{"raw: byte changed", Target{URL: tcpEcho(t, true), Raw: true}, "differs"},
		{"§4.1 no handshake answer", Target{URL: tcpEcho(t, false)}, "handshake"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Run(context.Background(), c.target, sc, opts)
			if c.wantErr == "" {
				want := int64(sc.Conns * opts.Messages * sc.Size)
				if r.Errors != 0 || r.BytesVerified != want || r.Messages != int64(sc.Conns*opts.Messages) {
					t.Fatalf("errors %d (%s), %d bytes verified (want %d), %d messages", r.Errors, r.FirstError, r.BytesVerified, want, r.Messages)
				}
				return
			}
			t.Logf("reported: %s", r.FirstError)
			if r.Errors == 0 || !strings.Contains(r.FirstError, c.wantErr) {
				t.Fatalf("errors %d, first %q; want an error containing %q", r.Errors, r.FirstError, c.wantErr)
			}
		})
	}
}
