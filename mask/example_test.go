package mask_test

import (
	"fmt"

	"github.com/rfc6455/ws/mask"
)

// The example from RFC 6455 §5.7: "Hello" sent by a client with masking key
// 37 fa 21 3d.
func ExampleApply() {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	payload := []byte("Hello")

	mask.Apply(key, 0, payload)
	fmt.Printf("masked:   % x\n", payload)

	mask.Apply(key, 0, payload) // the server unmasks with the same call
	fmt.Printf("unmasked: %s\n", payload)
	// Output:
	// masked:   7f 9f 4d 51 58
	// unmasked: Hello
}

// A payload that arrives in pieces is unmasked piece by piece, passing the
// returned key offset on to the next call.
func ExampleApply_pieces() {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	pieces := [][]byte{{0x7f, 0x9f}, {0x4d}, {0x51, 0x58}}

	pos := 0
	for _, p := range pieces {
		pos = mask.Apply(key, pos, p)
		fmt.Printf("%q ", p)
	}
	fmt.Println("next pos:", pos)
	// Output:
	// "He" "l" "lo" next pos: 1
}
