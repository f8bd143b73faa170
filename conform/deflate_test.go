package conform

import (
	"bufio"
	"bytes"
	"compress/flate"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rfc6455/ws/frame"
	"github.com/rfc6455/ws/handshake"
)

// deflatePipe is pipeConn for a connection with permessage-deflate in force with params.
func deflatePipe(t testing.TB, client bool, params handshake.DeflateParams) (*rawConn, net.Conn) {
	suite, peer := net.Pipe()
	rc := newRawConnDeflate(suite, bufio.NewReader(suite), client, negotiation{pmd: newPermessageDeflate(params, client)})
	t.Cleanup(func() {
		peer.Close()
		rc.close()
	})
	return rc, peer
}

// events reads what rc reports until the end of the stream, described.
func events(t *testing.T, rc *rawConn) []string {
	t.Helper()
	var got []string
	for {
		select {
		case ev := <-rc.events:
			if ev.kind == evDrop {
				return got
			}
			got = append(got, ev.String())
		case <-time.After(5 * time.Second):
			t.Fatal("no end of stream")
		}
	}
}

// TestReaderDeflate checks what the suite makes of a peer's frames with permessage-deflate in
// force, in both roles: compressed messages inflated, and RFC 7692's rules on RSV1, the removed
// tail and the agreed window reported as violations.
func TestReaderDeflate(t *testing.T) {
	hello := syncFlushed(t, flate.BestSpeed, false, []byte("Hello, Hello, Hello!"))[0]
	// "a repeated phrase" again after 340 bytes: a back-reference 357 bytes long.
	far := syncFlushed(t, flate.DefaultCompression, false, []byte("a repeated phrase"+strings.Repeat("-0123456789abcdef", 20)+"a repeated phrase"))[0]
	for _, client := range []bool{true, false} {
		peerIsClient := !client
		f := func(fin bool, rsv uint8, op frame.Opcode, payload []byte) []byte {
			return peerFrame(peerIsClient, fin, rsv, op, payload)
		}
		const rsv1 = frame.Rsv1
		for _, tt := range []struct {
			name   string
			params handshake.DeflateParams
			stream []byte
			want   []string // event descriptions, in order
		}{
			{"compressed", handshake.DeflateParams{}, f(true, rsv1, frame.OpText, hello),
				[]string{`text message of 20 bytes, compressed to`}},
			{"compressed in 3 frames", handshake.DeflateParams{}, bytes.Join([][]byte{f(false, rsv1, frame.OpBinary, hello[:2]), f(false, 0, frame.OpContinuation, hello[2:5]), f(true, 0, frame.OpContinuation, hello[5:])}, nil),
				[]string{`binary message of 20 bytes in 3 frames, compressed to`}},
			{"uncompressed", handshake.DeflateParams{}, f(true, 0, frame.OpText, []byte("plain")), []string{`text message of 5 bytes "plain"`}},
			{"RFC 7692 §6.1 continuation", handshake.DeflateParams{}, append(f(false, rsv1, frame.OpText, hello[:2]), f(true, rsv1, frame.OpContinuation, hello[2:])...),
				[]string{"RSV1 set on a continuation frame (RFC 7692 §6.1", "text message"}},
			{"RFC 7692 §6.1 ping", handshake.DeflateParams{}, f(true, rsv1, frame.OpPing, []byte("p")), []string{"RSV1 set on a ping frame (RFC 7692 §6.1", "ping"}},
			{"RFC 7692 §6 RSV2", handshake.DeflateParams{}, f(true, frame.Rsv2, frame.OpText, []byte("x")), []string{"RSV bits 010 set, of which permessage-deflate uses only RSV1", "text message"}},
			{"RFC 7692 §7.2.1 tail kept", handshake.DeflateParams{}, f(true, rsv1, frame.OpText, append(bytes.Clone(hello), 0, 0, 0xff, 0xff)),
				[]string{"ends with 00 00 ff ff (RFC 7692 §7.2.1"}},
			{"RFC 7692 §8 not DEFLATE", handshake.DeflateParams{}, f(true, rsv1, frame.OpBinary, []byte{0x07}), []string{"does not inflate: a DEFLATE block of the reserved type 3"}},
			{"§8.1 inflated text", handshake.DeflateParams{}, f(true, rsv1, frame.OpText, syncFlushed(t, flate.BestSpeed, false, []byte("\xed\xa0\x80"))[0]),
				[]string{"inflates to invalid UTF-8 (§8.1)"}},
			{"RFC 7692 §7.1.2 window", handshake.DeflateParams{ServerMaxWindowBits: 8, ClientMaxWindowBits: 8}, f(true, rsv1, frame.OpText, far),
				[]string{"beyond the window of 256 bytes agreed with " + map[bool]string{true: "server", false: "client"}[client] + "_max_window_bits=8"}},
			{"window kept", handshake.DeflateParams{ServerMaxWindowBits: 9, ClientMaxWindowBits: 9}, f(true, rsv1, frame.OpText, far),
				[]string{"text message of 374 bytes, compressed"}},
		} {
			rc, peer := deflatePipe(t, client, tt.params)
			go func() {
				peer.Write(tt.stream)
				peer.Close()
			}()
			got := events(t, rc)
			if len(got) != len(tt.want) {
				t.Errorf("client=%v %s: events %q, want %d matching %q", client, tt.name, got, len(tt.want), tt.want)
				continue
			}
			for i := range got {
				if !strings.Contains(got[i], tt.want[i]) {
					t.Errorf("client=%v %s: event %d is %q, want it to contain %q", client, tt.name, i, got[i], tt.want[i])
				}
			}
		}
	}
}

// TestDeflater checks the suite's compressor: RFC 7692 §7.2.1's payloads, with context takeover
// kept or not, with back-references or (for a small window) none.
func TestDeflater(t *testing.T) {
	msg := []byte(strings.Repeat("the suite's own compressor; ", 20))
	for _, tt := range []struct {
		name                    string
		huffmanOnly, noTakeover bool
	}{
		{"takeover", false, false},
		{"no takeover", false, true},
		{"Huffman only", true, false},
	} {
		d := newDeflater(tt.huffmanOnly, tt.noTakeover)
		first, second := d.compress(msg), d.compress(msg)
		if bytes.HasSuffix(first, syncTail) {
			t.Errorf("%s: the payload keeps 00 00 ff ff", tt.name)
		}
		// The second message: with context takeover it refers back into the first and is much
		// smaller; without, it is the first again.
		switch {
		case tt.noTakeover && !bytes.Equal(first, second):
			t.Errorf("%s: the second message compressed differently from the first", tt.name)
		case !tt.noTakeover && !tt.huffmanOnly && len(second) >= len(first)/2:
			t.Errorf("%s: the second message takes %d bytes, the first %d: no context taken over", tt.name, len(second), len(first))
		}
		var dict []byte
		if !tt.noTakeover {
			dict = msg
		}
		got, err := referenceInflate(second, dict)
		if err != nil || !bytes.Equal(got, msg) {
			t.Errorf("%s: the second message inflates to %q, %v", tt.name, got, err)
		}
		// Huffman only: no back-references, so a window of 2^8 bytes inflates it.
		if tt.huffmanOnly {
			f := newInflater(8, true, "w", "t", maxMessage)
			if _, refs, err := f.message(first); err != nil || refs.longest != 0 {
				t.Errorf("%s: %v, back-references %+v", tt.name, err, refs)
			}
		}
	}
}

// TestNegotiateAsClient checks how the suite, as a client, reads a server's answer to its offers
// (RFC 7692 §7.1): what is in force, and which answers it refuses.
func TestNegotiateAsClient(t *testing.T) {
	choices := []deflateChoice{{peerNoContextTakeover: true, peerMaxWindowBits: 8}, {peerNoContextTakeover: true}, {}}
	for _, tt := range []struct {
		answer string
		ok     bool
		want   string // in the notes, or in the error
	}{
		{"", true, "the server accepted no offer"},
		{"permessage-deflate; server_no_context_takeover; server_max_window_bits=8", true, "answers offer 1 of 3"},
		{"permessage-deflate; server_no_context_takeover", true, "answers offer 2 of 3"},
		{"permessage-deflate", true, "answers offer 3 of 3"},
		{"permessage-deflate; client_max_window_bits=10", true, "client to server: context takeover, window 2^10"},
		{"permessage-deflate; server_max_window_bits=16", false, "fits none of the offers"},
		{"permessage-deflate; client_max_window_bits", false, "fits none of the offers"},
	} {
		h := http.Header{}
		if tt.answer != "" {
			h.Set("Sec-WebSocket-Extensions", tt.answer)
		}
		n, err := acceptAnswer(h, choices)
		got := strings.Join(n.notes, "; ")
		if err != nil {
			got = err.Error()
		}
		if (err == nil) != tt.ok || !strings.Contains(got, tt.want) {
			t.Errorf("answer %q: %q, error %v; want ok=%v and %q", tt.answer, got, err, tt.ok, tt.want)
		}
		if tt.ok && tt.answer != "" && n.pmd == nil {
			t.Errorf("answer %q: no compression in force", tt.answer)
		}
	}
}

// TestNegotiateAsServer checks how the suite, as a server, answers a client's offers with a
// case's choices (RFC 7692 §7.1), and when it cannot ask for all of them.
func TestNegotiateAsServer(t *testing.T) {
	peerWindow := []deflateChoice{{peerNoContextTakeover: true, peerMaxWindowBits: 8}}
	fallback := []deflateChoice{{peerNoContextTakeover: true, peerMaxWindowBits: 8}, {peerNoContextTakeover: true}, {}}
	for _, tt := range []struct {
		name    string
		offer   string
		choices []deflateChoice
		answer  string
		short   bool
	}{
		{"no offer", "", peerWindow, "", false},
		{"another extension", "x-webkit-deflate-frame", peerWindow, "", false},
		{"invalid offer", "permessage-deflate; client_max_window_bits=7", peerWindow, "", false},
		{"the browsers' offer", "permessage-deflate; client_max_window_bits", peerWindow, "permessage-deflate; client_no_context_takeover; client_max_window_bits=8", false},
		{"a smaller window offered", "permessage-deflate; client_max_window_bits=9", []deflateChoice{{peerMaxWindowBits: 15}}, "permessage-deflate; client_max_window_bits=9", false},
		{"window not offered", "permessage-deflate", peerWindow, "permessage-deflate; client_no_context_takeover", true},
		{"fallback", "permessage-deflate", fallback, "permessage-deflate; client_no_context_takeover", false},
		{"the client's constraints on the suite", "permessage-deflate; server_no_context_takeover; server_max_window_bits=10", []deflateChoice{{ownMaxWindowBits: 12}},
			"permessage-deflate; server_no_context_takeover; server_max_window_bits=10", false},
		{"the second offer", "permessage-deflate; server_max_window_bits=7, permessage-deflate", []deflateChoice{{}}, "permessage-deflate", false},
	} {
		h := http.Header{}
		if tt.offer != "" {
			h.Set("Sec-WebSocket-Extensions", tt.offer)
		}
		answer, n := answerOffers(h, tt.choices)
		if answer != tt.answer || (n.short != "") != tt.short || (n.pmd != nil) != (tt.answer != "") {
			t.Errorf("%s: answered %q (short %q, in force: %v), want %q (short: %v)", tt.name, answer, n.short, n.pmd != nil, tt.answer, tt.short)
		}
	}
}

// TestCutter checks the messages cut from the corpora: exactly the size asked for, valid UTF-8
// when they are text, consecutive, and wrapping around at the end of the corpus.
func TestCutter(t *testing.T) {
	for _, c := range newCorpora() {
		data := c.bytes()
		if len(data) < 2*(128<<10) {
			t.Errorf("%s: %d bytes, less than twice the largest message", c.key, len(data))
		}
		if c.op == frame.OpText && !utf8.Valid(data) {
			t.Errorf("%s: a text corpus that is not UTF-8", c.key)
		}
		cut := c.cutter()
		total := 0
		for _, size := range []int{1, 2, 3, 16, 1000, 128 << 10, 128 << 10, 128 << 10} {
			msg := cut.next(size)
			if len(msg) != size {
				t.Errorf("%s: a message of %d bytes, want %d", c.key, len(msg), size)
			}
			if c.op == frame.OpText && !utf8.Valid(msg) {
				t.Errorf("%s: a text message of %d bytes that is not UTF-8", c.key, size)
			}
			total += size
		}
		if c.op == frame.OpBinary && cut.pos != total%len(data) {
			t.Errorf("%s: the cutter is at %d after %d bytes of a corpus of %d", c.key, cut.pos, total, len(data))
		}
	}
}

// FuzzReaderDeflate feeds arbitrary bytes to the suite's reader with permessage-deflate in force,
// in both roles, with context takeover or not and a small window or not. It must not panic, must
// end with the end of the stream, must report text messages only when they are valid UTF-8, and
// every violation must cite its rule.
func FuzzReaderDeflate(f *testing.F) {
	hello := syncFlushed(f, flate.BestSpeed, false, []byte("Hello, Hello, Hello!"), []byte("Hello, Hello, Hello!"))
	f.Add(append(peerFrame(true, true, frame.Rsv1, frame.OpText, hello[0]), peerFrame(true, true, frame.Rsv1, frame.OpText, hello[1])...), true, uint8(0))
	f.Add(append(peerFrame(false, false, frame.Rsv1, frame.OpBinary, hello[0][:3]), peerFrame(false, true, 0, frame.OpContinuation, hello[0][3:])...), false, uint8(3))
	f.Add(peerFrame(false, true, frame.Rsv1, frame.OpPing, []byte("p")), false, uint8(1))
	f.Fuzz(func(t *testing.T, stream []byte, client bool, params uint8) {
		p := handshake.DeflateParams{
			ServerNoContextTakeover: params&1 != 0,
			ClientNoContextTakeover: params&2 != 0,
		}
		if params&4 != 0 {
			p.ServerMaxWindowBits, p.ClientMaxWindowBits = 8, 9
		}
		rc, peer := deflatePipe(t, client, p)
		go func() {
			peer.Write(stream)
			peer.Close()
		}()
		for {
			var ev event
			select {
			case ev = <-rc.events:
			case <-time.After(5 * time.Second):
				t.Fatal("no end of stream")
			}
			switch ev.kind {
			case evDrop:
				return
			case evMessage:
				if len(ev.data) > maxMessage {
					t.Fatalf("a message of %d bytes", len(ev.data))
				}
				if ev.op == frame.OpText && !utf8.Valid(ev.data) {
					t.Fatalf("a text message of invalid UTF-8 reported as a message: %q", ev.data)
				}
			case evViolation:
				if !strings.Contains(ev.what, "§") && !strings.Contains(ev.what, "suite accepts") {
					t.Fatalf("a violation that cites no section: %q", ev.what)
				}
			}
		}
	})
}
