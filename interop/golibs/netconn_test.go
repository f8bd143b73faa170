package golibs

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
	"golang.org/x/net/nettest"
)

// TestStreamNetConn runs nettest.TestConn, the conformance test of net.Conn implementations in
// golang.org/x/net, on conn.Stream: a client Stream and a server Stream over one WebSocket, with
// binary messages and with text ones, with compression off and on.
func TestStreamNetConn(t *testing.T) {
	for _, tc := range []struct {
		name     string
		op       frame.Opcode
		compress bool
	}{
		{"binary", frame.OpBinary, false},
		{"binary, permessage-deflate", frame.OpBinary, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nettest.TestConn(t, func() (c1, c2 net.Conn, stop func(), err error) {
				return streamPipe(tc.op, tc.compress)
			})
		})
	}
}

// streamPipe returns the two ends of a WebSocket as Streams: c1 the client's, c2 the server's.
func streamPipe(op frame.Opcode, compress bool) (c1, c2 net.Conn, stop func(), err error) {
	var compression *conn.CompressionOptions
	if compress {
		compression = &conn.CompressionOptions{}
	}
	accepted := make(chan *conn.Conn, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := conn.Upgrade(w, r, &conn.UpgradeOptions{Compression: compression, CloseTimeout: closeTimeout})
		if err != nil {
			return
		}
		accepted <- c
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client, _, err := conn.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), &conn.DialOptions{Compression: compression, CloseTimeout: closeTimeout})
	if err != nil {
		srv.Close()
		return nil, nil, nil, err
	}
	var server *conn.Conn
	select {
	case server = <-accepted:
	case <-ctx.Done():
		srv.Close()
		return nil, nil, nil, ctx.Err()
	}
	s1, s2 := conn.NewStream(client, op), conn.NewStream(server, op)
	stop = func() {
		s1.Close()
		s2.Close()
		srv.Close()
	}
	return s1, s2, stop, nil
}

// closeTimeout bounds the closing handshakes of streamPipe's Streams. Several of nettest's tests
// end with one side that never reads, which cannot answer the other's close frame: each would
// wait the default 5 s.
const closeTimeout = 500 * time.Millisecond
