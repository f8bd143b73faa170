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

func newGWS(checkUTF8 bool) *gwsServer {
	return &gwsServer{upgrader: gws.NewUpgrader(gwsHandler{}, &gws.ServerOption{
		ParallelEnabled:  false,
		CheckUtf8Enabled: checkUTF8,
	})}
}

func (s *gwsServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	socket, err := s.upgrader.Upgrade(w, r)
	if err != nil {
		return
	}
	go socket.ReadLoop()
}
