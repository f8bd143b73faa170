package conn_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
)

// ExampleNewStream runs a line protocol over a WebSocket, as MQTT, SSH or VNC clients do over
// a net.Conn: the server copies its Stream back to itself, the client writes lines and reads
// the echo with a bufio.Reader, which neither knows nor cares where messages begin and end.
func ExampleNewStream() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := conn.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		s := conn.NewStream(c, frame.OpBinary)
		defer s.Close()
		io.Copy(s, s) // until the client's close frame, which reads as io.EOF
	}))
	defer srv.Close()

	c, _, err := conn.Dial(context.Background(), "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		log.Fatal(err)
	}
	s := conn.NewStream(c, frame.OpBinary)
	defer s.Close()
	fmt.Fprint(s, "first line\nsecond ")
	fmt.Fprint(s, "line\n")
	lines := bufio.NewReader(s)
	for range 2 {
		line, err := lines.ReadString('\n')
		if err != nil {
			log.Fatal(err)
		}
		fmt.Print(line)
	}
	// Output:
	// first line
	// second line
}
