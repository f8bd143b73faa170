package frame

import "testing"

// TestOpcode classifies all 16 opcodes of §5.2.
func TestOpcode(t *testing.T) {
	tests := []struct {
		op                      Opcode
		name                    string
		control, data, reserved bool
	}{
		{0x0, "continuation", false, false, false}, // §5.4
		{0x1, "text", false, true, false},          // §5.6
		{0x2, "binary", false, true, false},        // §5.6
		{0x3, "reserved(0x3)", false, false, true}, // §5.2 reserved non-control
		{0x4, "reserved(0x4)", false, false, true},
		{0x5, "reserved(0x5)", false, false, true},
		{0x6, "reserved(0x6)", false, false, true},
		{0x7, "reserved(0x7)", false, false, true},
		{0x8, "close", true, false, false},        // §5.5.1
		{0x9, "ping", true, false, false},         // §5.5.2
		{0xA, "pong", true, false, false},         // §5.5.3
		{0xB, "reserved(0xb)", true, false, true}, // §5.2 reserved control
		{0xC, "reserved(0xc)", true, false, true},
		{0xD, "reserved(0xd)", true, false, true},
		{0xE, "reserved(0xe)", true, false, true},
		{0xF, "reserved(0xf)", true, false, true},
		{0x10, "reserved(0x10)", false, false, true}, // does not fit in 4 bits
	}
	for _, tc := range tests {
		if got := tc.op.String(); got != tc.name {
			t.Errorf("Opcode(%#x).String() = %q, want %q", uint8(tc.op), got, tc.name)
		}
		if got := tc.op.IsControl(); got != tc.control {
			t.Errorf("§5.5 %s.IsControl() = %v, want %v", tc.name, got, tc.control)
		}
		if got := tc.op.IsData(); got != tc.data {
			t.Errorf("§5.6 %s.IsData() = %v, want %v", tc.name, got, tc.data)
		}
		if got := tc.op.IsReserved(); got != tc.reserved {
			t.Errorf("§5.2 %s.IsReserved() = %v, want %v", tc.name, got, tc.reserved)
		}
	}
}
