// Package bench holds the end-to-end benchmarks of ws: messages echoed through a pair of
// conn.Conn over an in-memory pipe and over loopback TCP, and the opening handshake. They use only
// the public API, as an application would.
//
// The micro-benchmarks live beside the code they measure, where they can reach it:
// mask.Apply next to copy() of the same size in package mask, header parsing and appending and
// UTF-8 validation in package frame, AcceptKey and request checks in package handshake. Run them
// all with
//
//	go test -run='^$' -bench=. -benchmem ./...
//
// and compare runs with benchstat (go install golang.org/x/perf/cmd/benchstat@latest):
//
//	go test -run='^$' -bench=Echo -count=10 ./bench > old.txt
//	# change something
//	go test -run='^$' -bench=Echo -count=10 ./bench > new.txt
//	benchstat old.txt new.txt
//
// Other Go WebSocket libraries are measured doing the same work in the nested module bench/peers,
// so that the root module keeps no dependency.
package bench
