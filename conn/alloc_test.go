package conn

import (
	"fmt"
	"net"
	"testing"
	"unsafe"

	"github.com/rfc6455/ws/frame"
)

// pipePair returns a client and a server Conn joined by an in-memory pipe, with a server that
// echoes until the pipe closes.
func pipePair(t testing.TB) (client *Conn) {
	cn, sn := net.Pipe()
	client = newConn(cn, nil, false, 0, 0, 0, 0)
	server := newConn(sn, nil, true, 0, 0, 0, 0)
	go func() {
		var buf []byte
		for {
			op, p, err := server.ReadMessage(buf)
			if err != nil {
				return
			}
			buf = p
			if server.WriteMessage(op, p) != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { cn.Close(); sn.Close() })
	return client
}

// TestEchoAllocationFree checks the promise of the package documentation: once the buffers have
// grown, a message echoed through ReadMessage and WriteMessage (or WriteMessageInPlace) costs no
// allocation, on either side, for text (validated as UTF-8) and binary alike.
func TestEchoAllocationFree(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool allocate")
	}
	for _, tc := range []struct {
		name string
		op   frame.Opcode
		size int
	}{
		{"text/16B", frame.OpText, 16},
		{"binary/16B", frame.OpBinary, 16},
		{"text/64KiB", frame.OpText, 64 << 10},
		{"binary/64KiB", frame.OpBinary, 64 << 10},
	} {
		for _, inPlace := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/in-place=%v", tc.name, inPlace), func(t *testing.T) {
				c := pipePair(t)
				msg := make([]byte, HeaderRoom+tc.size) // WriteMessage sends msg[HeaderRoom:]
				buf := make([]byte, 0, tc.size)
				allocs := testing.AllocsPerRun(100, func() {
					// The client masks an in-place message where it lies: write it anew.
					for i := range msg[HeaderRoom:] {
						msg[HeaderRoom+i] = 'a' + byte(i%26)
					}
					if err := writeEitherWay(c, tc.op, msg, inPlace); err != nil {
						t.Fatal(err)
					}
					var err error
					if _, buf, err = c.ReadMessage(buf); err != nil {
						t.Fatal(err)
					}
				})
				if allocs != 0 {
					t.Errorf("%v allocations per echoed message, want 0", allocs)
				}
			})
		}
	}
}

// TestConnSize keeps a Conn within the 896-byte size class of Go's allocator on 64-bit
// machines: every connection, idle or not, holds one, and the next class up is 1 KiB. An object
// of more than 512 bytes that holds pointers carries an 8-byte header in its slot, so the Conn
// itself may take 888 bytes. A field added to Conn must be paid for elsewhere (a hole between
// small fields, or smallReadSize).
func TestConnSize(t *testing.T) {
	const limit = 896 - 8
	if size := unsafe.Sizeof(Conn{}); unsafe.Sizeof(uintptr(0)) == 8 && size > limit {
		t.Errorf("unsafe.Sizeof(Conn{}) = %d bytes, more than the %d that fit the 896-byte size class", size, limit)
	}
}
