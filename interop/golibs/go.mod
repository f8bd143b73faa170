module github.com/rfc6455/ws/interop/golibs

go 1.24

require (
	github.com/coder/websocket v1.8.15
	github.com/gorilla/websocket v1.5.3
	github.com/rfc6455/ws v0.0.0
)

replace github.com/rfc6455/ws => ../..
