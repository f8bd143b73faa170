package frame

import (
	"errors"
	"testing"
	"unicode/utf8"
)

func TestCheck(t *testing.T) {
	// frameFrom returns h as a peer of the reading role r would legally
	// send it with respect to masking (§5.1): masked to a server, unmasked
	// to a client.
	frameFrom := func(r Role, h Header) Header {
		h.Masked = r == RoleServer
		if h.Masked {
			h.Key = [4]byte{1, 2, 3, 4}
		}
		return h
	}
	tests := []struct {
		name       string
		h          Header
		rsvAllowed uint8
		want       error
	}{
		{"§5.6 text", Header{Fin: true, Op: OpText, Length: 5}, 0, nil},
		{"§5.6 binary 2^40 bytes", Header{Fin: true, Op: OpBinary, Length: 1 << 40}, 0, nil},
		{"§5.4 first fragment", Header{Op: OpText, Length: 1}, 0, nil},
		{"§5.4 continuation", Header{Op: OpContinuation, Length: 1}, 0, nil},
		{"§5.2 RSV1 without extension", Header{Fin: true, Rsv: Rsv1, Op: OpText}, 0, ErrReservedBits},
		{"§5.2 RSV2 without extension", Header{Fin: true, Rsv: Rsv2, Op: OpText}, 0, ErrReservedBits},
		{"§5.2 RSV3 without extension", Header{Fin: true, Rsv: Rsv3, Op: OpText}, 0, ErrReservedBits},
		{"§5.2 RSV1 with extension using RSV1", Header{Fin: true, Rsv: Rsv1, Op: OpText}, Rsv1, nil},
		{"§5.2 RSV2 with extension using RSV1", Header{Fin: true, Rsv: Rsv2, Op: OpText}, Rsv1, ErrReservedBits},
		{"§5.2 RSV1|RSV3 with extension using RSV1", Header{Fin: true, Rsv: Rsv1 | Rsv3, Op: OpText}, Rsv1, ErrReservedBits},
		{"§5.2 all RSV with extensions using all", Header{Fin: true, Rsv: Rsv1 | Rsv2 | Rsv3, Op: OpBinary}, Rsv1 | Rsv2 | Rsv3, nil},
		{"§5.2 reserved bits before reserved opcode", Header{Fin: true, Rsv: Rsv1, Op: 0x3}, 0, ErrReservedBits},
		{"§5.5 ping 0 bytes", Header{Fin: true, Op: OpPing}, 0, nil},
		{"§5.5 ping 125 bytes", Header{Fin: true, Op: OpPing, Length: 125}, 0, nil},
		{"§5.5 ping 126 bytes", Header{Fin: true, Op: OpPing, Length: 126}, 0, ErrControlTooLong},
		{"§5.5 pong 125 bytes", Header{Fin: true, Op: OpPong, Length: 125}, 0, nil},
		{"§5.5 pong 65536 bytes", Header{Fin: true, Op: OpPong, Length: 65536}, 0, ErrControlTooLong},
		{"§5.5 close 126 bytes", Header{Fin: true, Op: OpClose, Length: 126}, 0, ErrControlTooLong},
		{"§5.5 ping FIN clear", Header{Op: OpPing, Length: 1}, 0, ErrControlFragmented},
		{"§5.5 pong FIN clear", Header{Op: OpPong}, 0, ErrControlFragmented},
		{"§5.5 close FIN clear", Header{Op: OpClose, Length: 2}, 0, ErrControlFragmented},
		{"§5.5 FIN clear before length", Header{Op: OpPing, Length: 200}, 0, ErrControlFragmented},
		{"§5.5.1 close 0 bytes", Header{Fin: true, Op: OpClose}, 0, nil},
		{"§5.5.1 close 1 byte", Header{Fin: true, Op: OpClose, Length: 1}, 0, ErrClosePayloadShort},
		{"§5.5.1 close 2 bytes", Header{Fin: true, Op: OpClose, Length: 2}, 0, nil},
		{"§5.5.1 close 125 bytes", Header{Fin: true, Op: OpClose, Length: 125}, 0, nil},
		{"§5.5.1 ping 1 byte", Header{Fin: true, Op: OpPing, Length: 1}, 0, nil},
	}
	for op := Opcode(0); op <= 0xF; op++ {
		if op.IsReserved() {
			tests = append(tests, struct {
				name       string
				h          Header
				rsvAllowed uint8
				want       error
			}{"§5.2 reserved opcode " + op.String(), Header{Fin: true, Op: op}, 0, ErrReservedOpcode})
		}
	}
	for _, r := range []Role{RoleServer, RoleClient} {
		for _, tc := range tests {
			t.Run(r.String()+"/"+tc.name, func(t *testing.T) {
				h := frameFrom(r, tc.h)
				if err := h.Check(r, tc.rsvAllowed); err != tc.want {
					t.Errorf("%+v.Check(%v, %03b) = %v, want %v", h, r, tc.rsvAllowed, err, tc.want)
				}
			})
		}
	}
}

// TestCheckMasking covers §5.1 for each role and frame type.
func TestCheckMasking(t *testing.T) {
	for _, op := range []Opcode{OpContinuation, OpText, OpBinary, OpClose, OpPing, OpPong} {
		masked := Header{Fin: true, Op: op, Masked: true, Key: [4]byte{1, 2, 3, 4}}
		unmasked := Header{Fin: true, Op: op}
		for _, tc := range []struct {
			name string
			r    Role
			h    Header
			want error
		}{
			{"§5.1 server reads masked", RoleServer, masked, nil},
			{"§5.1 server reads unmasked", RoleServer, unmasked, ErrMaskRequired},
			{"§5.1 client reads unmasked", RoleClient, unmasked, nil},
			{"§5.1 client reads masked", RoleClient, masked, ErrMaskUnexpected},
		} {
			if err := tc.h.Check(tc.r, 0); err != tc.want {
				t.Errorf("%s %s: Check = %v, want %v", tc.name, op, err, tc.want)
			}
		}
	}
}

func TestCheckInvalidRolePanics(t *testing.T) {
	for _, r := range []Role{0, 3, 255} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Check with %v did not panic", r)
				}
			}()
			_ = Header{Fin: true, Op: OpText}.Check(r, 0)
		}()
	}
}

// TestCheckSequence covers §5.4 for every opcode, inside and outside a
// fragmented message.
func TestCheckSequence(t *testing.T) {
	for op := Opcode(0); op <= 0xF; op++ {
		for _, inMessage := range []bool{false, true} {
			for _, fin := range []bool{false, true} {
				var want error
				switch {
				case op == OpContinuation && !inMessage:
					want = ErrUnexpectedContinuation // §5.4 nothing to continue
				case (op == OpText || op == OpBinary) && inMessage:
					want = ErrExpectedContinuation // §5.4 no interleaving of messages
				}
				h := Header{Fin: fin, Op: op}
				if err := CheckSequence(inMessage, h); err != want {
					t.Errorf("§5.4 CheckSequence(inMessage=%v, %v fin=%v) = %v, want %v", inMessage, op, fin, err, want)
				}
			}
		}
	}
}

// TestCheckSequenceMessages runs whole frame sequences through CheckSequence,
// tracking the message state as its doc comment says a caller should.
func TestCheckSequenceMessages(t *testing.T) {
	text := func(fin bool) Header { return Header{Fin: fin, Op: OpText} }
	cont := func(fin bool) Header { return Header{Fin: fin, Op: OpContinuation} }
	ping := Header{Fin: true, Op: OpPing}
	tests := []struct {
		name   string
		frames []Header
		want   error
		at     int // index of the frame that fails
	}{
		{"§5.4 unfragmented", []Header{text(true), text(true)}, nil, 0},
		{"§5.4 three fragments", []Header{text(false), cont(false), cont(true), text(true)}, nil, 0},
		{"§5.4 ping between fragments", []Header{text(false), ping, cont(true)}, nil, 0},
		{"§5.4 continuation first", []Header{cont(true)}, ErrUnexpectedContinuation, 0},
		{"§5.4 continuation after final", []Header{text(false), cont(true), cont(true)}, ErrUnexpectedContinuation, 2},
		{"§5.4 text inside message", []Header{text(false), ping, text(true)}, ErrExpectedContinuation, 2},
	}
	for _, tc := range tests {
		inMessage := false
		for i, h := range tc.frames {
			err := CheckSequence(inMessage, h)
			if err != nil {
				if err != tc.want || i != tc.at {
					t.Errorf("%s: frame %d: %v; want %v at frame %d", tc.name, i, err, tc.want, tc.at)
				}
				break
			}
			if i == len(tc.frames)-1 && tc.want != nil {
				t.Errorf("%s: no error, want %v at frame %d", tc.name, tc.want, tc.at)
			}
			if !h.Op.IsControl() {
				inMessage = !h.Fin
			}
		}
	}
}

// TestProtocolErrors checks each sentinel's close code (§7.4.1) and that its
// reason fits in a close frame (§5.5.1).
func TestProtocolErrors(t *testing.T) {
	tests := []struct {
		err  error
		code CloseCode
	}{
		{ErrLengthOverflow, CloseProtocolError},
		{ErrReservedBits, CloseProtocolError},
		{ErrReservedOpcode, CloseProtocolError},
		{ErrControlTooLong, CloseProtocolError},
		{ErrControlFragmented, CloseProtocolError},
		{ErrMaskRequired, CloseProtocolError},
		{ErrMaskUnexpected, CloseProtocolError},
		{ErrUnexpectedContinuation, CloseProtocolError},
		{ErrExpectedContinuation, CloseProtocolError},
		{ErrInvalidUTF8, CloseInvalidPayload},
		{ErrClosePayloadShort, CloseProtocolError},
		{ErrInvalidCloseCode, CloseProtocolError},
		{ErrInvalidCloseReason, CloseInvalidPayload},
	}
	seen := map[error]bool{}
	for _, tc := range tests {
		var pe *ProtocolError
		if !errors.As(tc.err, &pe) {
			t.Errorf("%v is not a *ProtocolError", tc.err)
			continue
		}
		if pe.Code != tc.code {
			t.Errorf("%v: Code = %d, want %d", tc.err, pe.Code, tc.code)
		}
		if len(pe.Reason) == 0 || len(pe.Reason) > MaxCloseReason || !utf8.ValidString(pe.Reason) {
			t.Errorf("%v: Reason %q must be 1..%d bytes of UTF-8", tc.err, pe.Reason, MaxCloseReason)
		}
		if pe.Error() != "websocket: "+pe.Reason {
			t.Errorf("Error() = %q", pe.Error())
		}
		if seen[tc.err] {
			t.Errorf("%v listed twice", tc.err)
		}
		seen[tc.err] = true
	}
	var pe *ProtocolError
	if errors.As(ErrShortHeader, &pe) {
		t.Error("ErrShortHeader is a *ProtocolError; it only asks for more input")
	}
}
