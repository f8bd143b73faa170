module github.com/rfc6455/ws/interop/golibs

go 1.26.0

require (
	github.com/coder/websocket v1.8.15
	github.com/gorilla/websocket v1.5.3
	github.com/rfc6455/ws v0.0.0
)

require (
	github.com/eclipse/paho.mqtt.golang v1.5.1
	golang.org/x/net v0.63.0
)

require golang.org/x/sync v0.17.0 // indirect

replace github.com/rfc6455/ws => ../..
