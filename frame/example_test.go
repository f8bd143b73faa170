package frame_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/rfc6455/ws/frame"
)

func ExampleParseHeader() {
	// "A single-frame masked text message", RFC 6455 §5.7.
	wire := []byte{0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}

	h, n, err := frame.ParseHeader(wire)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(h)
	fmt.Println("header bytes:", n)
	fmt.Println("check as server:", h.Check(frame.RoleServer, 0))

	// §5.3: unmask by XORing byte i with byte i mod 4 of the key.
	payload := wire[n : n+int(h.Length)]
	for i := range payload {
		payload[i] ^= h.Key[i%4]
	}
	fmt.Printf("payload: %s\n", payload)

	// Output:
	// text fin rsv=000 len=5 key=37fa213d
	// header bytes: 6
	// check as server: <nil>
	// payload: Hello
}

func ExampleParseHeader_short() {
	// Only 3 of the 4 bytes of a header with a 16-bit length have arrived.
	_, _, err := frame.ParseHeader([]byte{0x82, 0x7E, 0x01})
	fmt.Println(err == frame.ErrShortHeader)
	fmt.Println("need", frame.HeaderSize(0x82, 0x7E), "bytes")
	// Output:
	// true
	// need 4 bytes
}

func ExampleAppendHeader() {
	payload := []byte("Hello")
	wire := frame.AppendHeader(nil, frame.Header{Fin: true, Op: frame.OpText, Length: int64(len(payload))})
	wire = append(wire, payload...)
	fmt.Printf("% x\n", wire)

	// Lengths over 125 take 2 more bytes, over 65535 take 8 (§5.2).
	fmt.Printf("% x\n", frame.AppendHeader(nil, frame.Header{Fin: true, Op: frame.OpBinary, Length: 256}))
	fmt.Printf("% x\n", frame.AppendHeader(nil, frame.Header{Fin: true, Op: frame.OpBinary, Length: 65536}))
	// Output:
	// 81 05 48 65 6c 6c 6f
	// 82 7e 01 00
	// 82 7f 00 00 00 00 00 01 00 00
}

func ExampleReadHeader() {
	// The two fragments of "Hello" from §5.7, followed by their payloads.
	br := bufio.NewReader(strings.NewReader("\x01\x03Hel\x80\x02lo"))
	for {
		h, err := frame.ReadHeader(br)
		if err != nil {
			fmt.Println(err)
			return
		}
		payload := make([]byte, h.Length)
		if _, err := io.ReadFull(br, payload); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%v %q\n", h, payload)
	}
	// Output:
	// text rsv=000 len=3 "Hel"
	// continuation fin rsv=000 len=2 "lo"
	// EOF
}

func ExampleHeader_Check() {
	// A client sent a fragmented ping: §5.5 forbids it.
	h := frame.Header{Fin: false, Op: frame.OpPing, Masked: true}
	err := h.Check(frame.RoleServer, 0)

	var pe *frame.ProtocolError
	if errors.As(err, &pe) {
		fmt.Println(err)
		fmt.Println("close with", uint16(pe.Code), pe.Code)
	}
	// Output:
	// websocket: fragmented control frame
	// close with 1002 protocol error
}

func ExampleParseClose() {
	code, reason, err := frame.ParseClose([]byte{0x03, 0xE8, 'b', 'y', 'e'})
	fmt.Println(uint16(code), code, reason, err)

	// An empty close body means "no status code" (§7.1.5).
	code, _, err = frame.ParseClose(nil)
	fmt.Println(uint16(code), code, err)

	// 1005 must never be sent on the wire (§7.4.1).
	_, _, err = frame.ParseClose([]byte{0x03, 0xED})
	fmt.Println(err)
	// Output:
	// 1000 normal closure bye <nil>
	// 1005 no status received <nil>
	// websocket: invalid close code
}

func ExampleAppendClose() {
	fmt.Printf("% x\n", frame.AppendClose(nil, frame.CloseGoingAway, "bye"))
	// A reason longer than 123 bytes is cut at a code point boundary:
	// 30 four-byte emoji fit, the 31st would not.
	fmt.Printf("%d\n", len(frame.AppendClose(nil, frame.CloseNormal, strings.Repeat("😀", 40))))
	// Output:
	// 03 e9 62 79 65
	// 122
}

func ExampleUTF8() {
	var v frame.UTF8
	// "é" is C3 A9; the message may be cut between the two bytes.
	fmt.Println(v.Write([]byte("caf\xC3")))
	fmt.Println(v.Write([]byte("\xA9 ok")))
	// ED A0 can only begin a surrogate, which UTF-8 forbids: the Write
	// fails at once, without waiting for the rest of the code point.
	fmt.Println(v.Write([]byte("\xED\xA0")))
	fmt.Println(v.Done())
	// Output:
	// <nil>
	// <nil>
	// websocket: text is not valid UTF-8
	// websocket: text is not valid UTF-8
}
