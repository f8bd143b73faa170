package main

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
)

// A room is the chat: the members connected now, and the broadcast of every line one of them
// says to all of them.
type room struct {
	log *log.Logger

	// queueLength is how many messages may wait for a member that reads slowly before the
	// room gives up on it; writeTimeout bounds each write to a member.
	queueLength  int
	writeTimeout time.Duration

	mu      sync.Mutex
	members map[*member]struct{}
	closing bool
}

func newRoom(logger *log.Logger) *room {
	return &room{log: logger, queueLength: 256, writeTimeout: 10 * time.Second, members: make(map[*member]struct{})}
}

// A member is one connection in the room.
type member struct {
	c      *conn.Conn
	name   string // guarded by the room's mu
	queue  chan *conn.PreparedMessage
	closed chan struct{} // closed when the member leaves
	once   sync.Once
}

// maxLine bounds a chat line, in bytes; a longer one ends the member's connection.
const maxLine = 4 << 10

// serve runs a member's connection until it ends: its lines, read as a byte stream whatever
// messages they come in, are said to the room, and what the room says is written to it from a
// goroutine of its own, so that a member that reads slowly holds up no one else.
func (rm *room) serve(c *conn.Conn, name string) {
	m := &member{c: c, name: name, queue: make(chan *conn.PreparedMessage, rm.queueLength), closed: make(chan struct{})}
	if !rm.join(m) {
		c.Close(frame.CloseGoingAway, "server shutting down")
		return
	}
	go rm.write(m)
	rm.announce(fmt.Sprintf("* %s joined", name))

	// A Stream reads the member's messages as one stream of bytes: a browser sends each line as
	// a message, a terminal client may send several lines in one message or one line in
	// several, and bufio.Scanner does not care.
	lines := bufio.NewScanner(conn.NewStream(c, frame.OpText))
	lines.Buffer(make([]byte, 0, 512), maxLine)
	for lines.Scan() {
		rm.command(m, strings.TrimSpace(lines.Text()))
	}
	if err := lines.Err(); err != nil {
		rm.log.Printf("%s (%s): %v", m.name, c.RemoteAddr(), err)
	}
	rm.leave(m, frame.CloseNormal, "")
}

// command handles one line of a member: a chat line, or one of the commands.
func (rm *room) command(m *member, line string) {
	switch {
	case line == "":
	case strings.HasPrefix(line, "/nick "):
		name := cleanName(strings.TrimPrefix(line, "/nick "))
		rm.mu.Lock()
		old := m.name
		m.name = name
		rm.mu.Unlock()
		rm.announce(fmt.Sprintf("* %s is now %s", old, name))
	case line == "/who":
		rm.tell(m, "* here: "+strings.Join(rm.names(), ", "))
	case line == "/rtt":
		// The round trip of a ping to this member and back (RFC 6455 §5.5.2). PingWait runs
		// while the Stream's goroutine reads, which is where the pong arrives.
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			rtt, err := m.c.PingWait(ctx)
			if err != nil {
				rm.tell(m, "* no pong: "+err.Error())
				return
			}
			rm.tell(m, fmt.Sprintf("* round trip to you: %s", rtt.Round(time.Microsecond)))
		}()
	default:
		rm.mu.Lock()
		name := m.name
		rm.mu.Unlock()
		rm.announce(fmt.Sprintf("%s %s: %s", time.Now().Format("15:04:05"), name, line))
	}
}

// announce says text to every member: the message is framed (and, for the members that
// negotiated permessage-deflate, compressed) once, whatever their number.
func (rm *room) announce(text string) {
	pm, err := conn.NewPreparedMessage(frame.OpText, []byte(text))
	if err != nil {
		return
	}
	rm.mu.Lock()
	defer rm.mu.Unlock()
	for m := range rm.members {
		rm.enqueue(m, pm)
	}
}

// tell says text to one member.
func (rm *room) tell(m *member, text string) {
	pm, err := conn.NewPreparedMessage(frame.OpText, []byte(text))
	if err != nil {
		return
	}
	rm.mu.Lock()
	defer rm.mu.Unlock()
	rm.enqueue(m, pm)
}

// enqueue queues pm for m, or, when m's queue is full, gives up on m: a member that does not
// keep up must not make the room hold messages for it without bound. The caller holds mu.
func (rm *room) enqueue(m *member, pm *conn.PreparedMessage) {
	select {
	case m.queue <- pm:
	default:
		// The member does not read what it is sent. A close frame (1008, a policy violation,
		// §7.4.1) would wait behind everything it has not read, so the connection is cut.
		go rm.leave(m, 0, "too slow")
	}
}

// write sends what is queued for m until m leaves.
func (rm *room) write(m *member) {
	for {
		select {
		case pm := <-m.queue:
			m.c.SetWriteDeadline(time.Now().Add(rm.writeTimeout))
			if err := m.c.WritePrepared(pm); err != nil {
				rm.leave(m, frame.CloseGoingAway, "")
				return
			}
		case <-m.closed:
			return
		}
	}
}

func (rm *room) join(m *member) bool {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	if rm.closing {
		return false
	}
	rm.members[m] = struct{}{}
	return true
}

// leave removes m from the room and closes its connection (once): with a closing handshake
// with code and reason, or, for code 0, at once, reason saying why.
func (rm *room) leave(m *member, code frame.CloseCode, reason string) {
	m.once.Do(func() {
		rm.mu.Lock()
		delete(rm.members, m)
		name := m.name
		rm.mu.Unlock()
		close(m.closed)
		if code == 0 {
			m.c.CloseNow()
		} else {
			m.c.Close(code, reason)
		}
		rm.log.Printf("%s (%s) left %s", name, m.c.RemoteAddr(), reason)
		rm.announce(fmt.Sprintf("* %s left", name))
	})
}

// names returns the members' names, sorted.
func (rm *room) names() []string {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	var names []string
	for m := range rm.members {
		names = append(names, m.name)
	}
	sort.Strings(names)
	return names
}

// closeAll tells every member the server is going away (1001, §7.4.1) and waits, bounded by
// ctx, for them to leave.
func (rm *room) closeAll(ctx context.Context) {
	rm.mu.Lock()
	rm.closing = true
	members := make([]*member, 0, len(rm.members))
	for m := range rm.members {
		members = append(members, m)
	}
	rm.mu.Unlock()
	var wg sync.WaitGroup
	for _, m := range members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rm.leave(m, frame.CloseGoingAway, "server shutting down")
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// cleanName makes a member's name printable and short: control characters go, and it is cut
// to 32 bytes on a character boundary. An empty name becomes "anonymous".
func cleanName(name string) string {
	name = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, strings.TrimSpace(name))
	for len(name) > 32 {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	if name == "" {
		return "anonymous"
	}
	return name
}
