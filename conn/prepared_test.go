package conn

import (
	"bytes"
	"context"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/rfc6455/ws/frame"
)

// preparedServer starts a server that hands each upgraded Conn to the test, and returns a dial
// function for clients with the given compression options.
func preparedServer(t *testing.T, opts *UpgradeOptions) (conns chan *Conn, dial func(*CompressionOptions) *Conn) {
	t.Helper()
	conns = make(chan *Conn, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Upgrade(w, r, opts)
		if err == nil {
			conns <- c
		}
	}))
	t.Cleanup(srv.Close)
	dial = func(compression *CompressionOptions) *Conn {
		ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
		defer cancel()
		c, _, err := Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), &DialOptions{Compression: compression})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.CloseNow() })
		return c
	}
	return conns, dial
}

// TestWritePrepared writes one PreparedMessage to server connections of three kinds (no
// compression, permessage-deflate, deflate with context takeover) and checks that each client
// receives the message, compressed exactly where compression was negotiated (RFC 7692 §6), and
// that the message was framed once per kind.
func TestWritePrepared(t *testing.T) {
	conns, dial := preparedServer(t, &UpgradeOptions{Compression: &CompressionOptions{ContextTakeover: true}})
	message := bytes.Repeat([]byte("the same news for every subscriber. "), 40)
	pm, err := NewPreparedMessage(frame.OpText, message)
	if err != nil {
		t.Fatal(err)
	}
	kinds := []struct {
		name       string
		opts       *CompressionOptions
		compressed bool
	}{
		{"plain", nil, false},
		{"deflate", &CompressionOptions{}, true},
		{"deflate again", &CompressionOptions{}, true},
		{"deflate, takeover", &CompressionOptions{ContextTakeover: true}, true},
	}
	for _, k := range kinds {
		client := dial(k.opts)
		server := <-conns
		var rsv1 bool
		client.SetTrace(func(sent bool, h frame.Header) {
			if !sent && h.Op == frame.OpText {
				rsv1 = h.Rsv&frame.Rsv1 != 0
			}
		})
		if err := server.WritePrepared(pm); err != nil {
			t.Fatalf("%s: WritePrepared: %v", k.name, err)
		}
		op, got, err := client.ReadMessage(nil)
		if err != nil || op != frame.OpText || !bytes.Equal(got, message) {
			t.Fatalf("%s: client read %v, %d bytes, %v; want the message", k.name, op, len(got), err)
		}
		if rsv1 != k.compressed {
			t.Errorf("%s: RSV1 = %v, want %v", k.name, rsv1, k.compressed)
		}
	}
	if n := len(pm.forms); n != 2 {
		t.Errorf("the message was framed %d times, want 2 (plain and compressed)", n)
	}
}

// TestWritePreparedTakeover interleaves a PreparedMessage with messages of a connection that
// keeps its compression context (RFC 7692 §7.1.1): the messages after it must still inflate,
// although the peer's window now holds a message the connection's own compressor never saw.
func TestWritePreparedTakeover(t *testing.T) {
	conns, dial := preparedServer(t, &UpgradeOptions{Compression: &CompressionOptions{ContextTakeover: true}})
	client := dial(&CompressionOptions{ContextTakeover: true})
	server := <-conns
	first := bytes.Repeat([]byte("abcdefgh"), 100)
	pm, _ := NewPreparedMessage(frame.OpBinary, bytes.Repeat([]byte("zyxwvuts"), 100))
	want := [][]byte{first, pm.payload, first, pm.payload, first}
	for i, m := range want {
		var err error
		if i%2 == 1 {
			err = server.WritePrepared(pm)
		} else {
			err = server.WriteMessage(frame.OpBinary, m)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	for i, m := range want {
		_, got, err := client.ReadMessage(nil)
		if err != nil || !bytes.Equal(got, m) {
			t.Fatalf("message %d: %d bytes, %v; want %d bytes", i, len(got), err, len(m))
		}
	}
}

// TestWritePreparedIncompressible: a prepared message that deflate does not shrink goes plain
// to the connections that compress (RFC 7692 §6: RSV1 clear), as WriteMessage would send it, and
// a compressor that keeps its context goes on working after it.
func TestWritePreparedIncompressible(t *testing.T) {
	conns, dial := preparedServer(t, &UpgradeOptions{Compression: &CompressionOptions{ContextTakeover: true}})
	client := dial(&CompressionOptions{ContextTakeover: true})
	server := <-conns
	noise := make([]byte, 2048)
	rand.New(rand.NewSource(1)).Read(noise)
	pm, _ := NewPreparedMessage(frame.OpBinary, noise)
	text := bytes.Repeat([]byte("compressible text "), 100)
	var rsv []bool
	client.SetTrace(func(sent bool, h frame.Header) {
		if !sent && !h.Op.IsControl() {
			rsv = append(rsv, h.Rsv&frame.Rsv1 != 0)
		}
	})
	server.WriteMessage(frame.OpText, text)
	server.WritePrepared(pm)
	server.WriteMessage(frame.OpText, text)
	for i, m := range [][]byte{text, noise, text} {
		_, got, err := client.ReadMessage(nil)
		if err != nil || !bytes.Equal(got, m) {
			t.Fatalf("message %d: %d bytes, %v; want %d bytes", i, len(got), err, len(m))
		}
	}
	if want := []bool{true, false, true}; !slices.Equal(rsv, want) {
		t.Errorf("RSV1 of the three messages: %v, want %v", rsv, want)
	}
}

// TestWritePreparedAfterBuffered checks that a PreparedMessage follows the frames BufferMessage
// left waiting, small (joining them in the write buffer) and large (written after them).
func TestWritePreparedAfterBuffered(t *testing.T) {
	conns, dial := preparedServer(t, nil)
	client := dial(nil)
	server := <-conns
	small, _ := NewPreparedMessage(frame.OpBinary, []byte("small"))
	large, _ := NewPreparedMessage(frame.OpBinary, bytes.Repeat([]byte("L"), 100<<10))
	for _, pm := range []*PreparedMessage{small, large} {
		if err := server.BufferMessage(frame.OpText, []byte("waiting")); err != nil {
			t.Fatal(err)
		}
		if err := server.WritePrepared(pm); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"waiting", string(pm.payload)} {
			_, got, err := client.ReadMessage(nil)
			if err != nil || string(got) != want {
				t.Fatalf("read %d bytes, %v; want %d bytes", len(got), err, len(want))
			}
		}
	}
}

// TestWritePreparedClient checks a client's WritePrepared: every frame masked with a key of its
// own (RFC 6455 §5.3), so two connections never send the same bytes.
func TestWritePreparedClient(t *testing.T) {
	conns, dial := preparedServer(t, nil)
	pm, _ := NewPreparedMessage(frame.OpBinary, bytes.Repeat([]byte("k"), 1000))
	keys := map[[4]byte]bool{}
	for range 3 {
		client := dial(nil)
		server := <-conns
		client.SetTrace(func(sent bool, h frame.Header) {
			if sent {
				keys[h.Key] = true
			}
		})
		if err := client.WritePrepared(pm); err != nil {
			t.Fatal(err)
		}
		if _, got, err := server.ReadMessage(nil); err != nil || !bytes.Equal(got, pm.payload) {
			t.Fatalf("server read %d bytes, %v", len(got), err)
		}
	}
	if len(keys) != 3 {
		t.Errorf("%d distinct masking keys for 3 frames", len(keys))
	}
}

// TestWritePreparedAllocs checks that writing a prepared message on a server allocates nothing
// once its form is made.
func TestWritePreparedAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool allocate")
	}
	conns, dial := preparedServer(t, nil)
	client := dial(nil)
	server := <-conns
	go func() {
		for {
			if _, _, err := client.ReadMessage(nil); err != nil {
				return
			}
		}
	}()
	pm, _ := NewPreparedMessage(frame.OpBinary, make([]byte, 1024))
	server.WritePrepared(pm)
	if allocs := testing.AllocsPerRun(100, func() { server.WritePrepared(pm) }); allocs > 0 {
		t.Errorf("WritePrepared: %v allocations, want 0", allocs)
	}
}
