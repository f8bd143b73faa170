package peertest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
)

// FragmentedSize is the size of the messages the scenarios send as fragments (§5.4).
const FragmentedSize = 100_000

// ExchangeMessages runs the messages of the server scenario over c, our client's connection to
// a peer's server that echoes and obeys the commands of ParseCommand: a text and a binary
// message of each size in sizes, the same sent as fragments, our ping, and the peer's ping. The
// peer is named in the ping command, "ping from <peer>", and answers "pong from <peer>" once
// our Conn's pong has reached it. ExchangeMessages sets c's pong handler.
func ExchangeMessages(t testing.TB, c *conn.Conn, sizes []int, peer string) {
	t.Helper()
	var pongs []string
	c.SetPongHandler(func(p []byte) { pongs = append(pongs, string(p)) })

	for _, size := range sizes {
		for _, op := range []frame.Opcode{frame.OpText, frame.OpBinary} {
			p := Payload(op, size)
			if err := c.WriteMessage(op, p); err != nil {
				t.Fatalf("writing %v %d: %v", op, size, err)
			}
			ExpectMessage(t, c, op, p)
		}
	}

	// §5.4: a message sent as fragments, through NextWriter, in writes of odd sizes.
	for _, op := range []frame.Opcode{frame.OpText, frame.OpBinary} {
		p := Payload(op, FragmentedSize)
		WriteFragmented(t, c, op, p)
		ExpectMessage(t, c, op, p)
	}

	// §5.5.2: the peer answers our ping with a pong carrying the same data, before it echoes
	// the message sent after the ping.
	if err := c.Ping([]byte("ping from go")); err != nil {
		t.Fatal(err)
	}
	after := []byte("after the ping")
	if err := c.WriteMessage(frame.OpText, after); err != nil {
		t.Fatal(err)
	}
	ExpectMessage(t, c, frame.OpText, after)
	if len(pongs) != 1 || pongs[0] != "ping from go" {
		t.Errorf("§5.5.3: pongs %q, want [\"ping from go\"]", pongs)
	}

	// The peer pings us; our Conn answers by itself while reading, and the peer says when the
	// pong came.
	if err := c.WriteMessage(frame.OpText, []byte("ping from "+peer)); err != nil {
		t.Fatal(err)
	}
	ExpectMessage(t, c, frame.OpText, []byte("pong from "+peer))
}

// RequestClose sends the command "close <code> <reason>" over c and checks that the peer's
// server closes the connection with that code and reason (§7.1.2); reading its close frame, our
// Conn answers it.
func RequestClose(t testing.TB, c *conn.Conn, code frame.CloseCode, reason string) {
	t.Helper()
	if err := c.WriteMessage(frame.OpText, fmt.Appendf(nil, "close %d %s", code, reason)); err != nil {
		t.Fatal(err)
	}
	var ce *conn.CloseError
	if _, _, err := c.ReadMessage(nil); !errors.As(err, &ce) || ce.Code != code || ce.Reason != reason {
		t.Fatalf("ReadMessage: %v; want close %d %q", err, code, reason)
	}
}
