package echoservers

import (
	"net/http"

	"github.com/lxzan/gws"
)

// gwsHandler is the event handler of the gws echo: gws reads in its ReadLoop and calls OnMessage
// with each whole message.
type gwsHandler struct{ gws.BuiltinEventHandler }

// OnPing answers with the ping's payload (RFC 6455 §5.5.3: "Application data" of the pong is that
// of the ping); gws's built-in handler sends an empty pong.
func (gwsHandler) OnPing(socket *gws.Conn, payload []byte) { socket.WritePong(payload) }

// OnMessage echoes the message and returns its buffer to gws's pool.
func (gwsHandler) OnMessage(socket *gws.Conn, message *gws.Message) {
	defer message.Close()
	socket.WriteMessage(message.Opcode, message.Bytes())
}

// gwsServer upgrades on net/http and runs ReadLoop on its own goroutine, as gws's "best practice"
// example does. ParallelEnabled is false: one message at a time per connection, in order.
type gwsServer struct{ upgrader *gws.Upgrader }

func newGWS(checkUTF8 bool, deflate gws.PermessageDeflate) *gwsServer {
	return &gwsServer{upgrader: gws.NewUpgrader(gwsHandler{}, &gws.ServerOption{
		ParallelEnabled:   false,
		CheckUtf8Enabled:  checkUTF8,
		PermessageDeflate: deflate,
	})}
}

// gwsDeflate enables permessage-deflate without context takeover either way, leaving the rest at
// gws v1.8.9's defaults: klauspost/compress's flate at level 1 (BestSpeed), 15-bit windows,
// messages under 512 bytes sent uncompressed, and one pool of 32 compressor/decompressor pairs
// shared by all the connections of the server.
var gwsDeflate = gws.PermessageDeflate{Enabled: true}

// gwsDeflateTakeover enables context takeover both ways, at gws's defaults for it: windows of 12
// bits (4 KiB; the response says server_max_window_bits=12 and client_max_window_bits=12) and
// every message compressed (the threshold is off). gws does not keep a compressor per
// connection: it keeps the last 4 KiB it sent and compresses each message with a shared
// compressor primed with them as a dictionary.
var gwsDeflateTakeover = gws.PermessageDeflate{Enabled: true, ServerContextTakeover: true, ClientContextTakeover: true}

func (s *gwsServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	socket, err := s.upgrader.Upgrade(w, r)
	if err != nil {
		return
	}
	go socket.ReadLoop()
}
