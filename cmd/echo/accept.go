package main

import (
	"net"
	"strings"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/handshake"
	"github.com/rfc6455/ws/internal/front"
)

// The server accepts TCP connections itself rather than through http.Server (package
// internal/front): it reads each connection's first request head, upgrades a WebSocket
// handshake for / or /ws with conn.UpgradeRequest, and hands any other request to net/http,
// which serves the page and whatever else the connection asks for later. A WebSocket
// connection thus never passes through net/http, whose per-connection buffers (8 KiB) would
// otherwise be left for the garbage collector on every upgrade, and an idle one costs about
// 5 KiB while its goroutine waits, 3 KiB once it has parked (see park.go and package conn,
// "Memory").

// handshakeMaxHead bounds a request head: a head over it gets 431.
const handshakeMaxHead = front.MaxHead

// newFront returns the front door of s, for connections from a listener with address addr.
func (s *server) newFront(addr net.Addr) *front.Front {
	return front.New(front.Config{
		HandshakeTimeout: s.handshakeTimeout,
		H2C:              s.cfg.h2c,
		IsWebSocket:      isWebSocketRoute,
		ServeWebSocket:   s.upgradeRaw,
		Log:              s.log,
	}, addr)
}

// upgradeRaw answers a WebSocket handshake read by the front door and starts the echo.
func (s *server) upgradeRaw(nc net.Conn, req *handshake.Request, rest []byte) {
	c, err := conn.UpgradeRequest(nc, req, rest, &s.upgrade)
	if err != nil {
		// UpgradeRequest has answered with the HTTP error and closes nc.
		s.log.Printf("%s: %v", nc.RemoteAddr(), err)
		return
	}
	e := s.newSession(c)
	if !s.track(e) {
		c.Close(1001, shutdownReason)
		c.CloseNow()
		return
	}
	// The handshake has grown this goroutine's stack, which a goroutine keeps; the echo runs
	// in a fresh one, whose stack starts at 2 KiB.
	go e.run()
}

// isWebSocketRoute reports whether req asks for a WebSocket at / or /ws, the two places the
// net/http routes (handler) upgrade: a request that asks to upgrade to websocket there (§4.2.1
// item 3) is answered by conn.UpgradeRequest, which checks the rest of the handshake.
func isWebSocketRoute(req *handshake.Request) bool {
	if !req.HasToken("Upgrade", "websocket") {
		return false
	}
	path, _, _ := strings.Cut(req.Target, "?")
	return path == "/" || path == "/ws"
}
