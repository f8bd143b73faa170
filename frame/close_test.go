package frame

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"unicode/utf8"
)

// wireCodeClass says, from the text of RFC 6455 §7.4 and the IANA registry
// (§11.7), whether code c may be sent in a close frame, and why.
func wireCodeClass(c int) (valid bool, why string) {
	switch {
	case c < 1000:
		return false, "§7.4.2 0-999 not used"
	case c == 1004:
		return false, "§7.4.1 1004 reserved"
	case c == 1005, c == 1006, c == 1015:
		return false, "§7.4.1 MUST NOT be set in a Close frame"
	case c <= 1011:
		return true, "§7.4.1 defined"
	case c <= 1014:
		return true, "§11.7 IANA registered (1012-1014)"
	case c <= 2999:
		return false, "§7.4.2 1000-2999 reserved for this protocol, not yet defined"
	case c <= 3999:
		return true, "§7.4.2 3000-3999 libraries and frameworks"
	case c <= 4999:
		return true, "§7.4.2 4000-4999 private use"
	}
	return false, "§7.4.2 outside all ranges"
}

// TestCloseCodeValidOnWire classifies every code from 0 to 5000, and the
// largest, both with ValidOnWire and through ParseClose.
func TestCloseCodeValidOnWire(t *testing.T) {
	codes := make([]int, 0, 5002)
	for c := 0; c <= 5000; c++ {
		codes = append(codes, c)
	}
	codes = append(codes, 65535)
	for _, c := range codes {
		want, why := wireCodeClass(c)
		code := CloseCode(c)
		if got := code.ValidOnWire(); got != want {
			t.Errorf("%s: CloseCode(%d).ValidOnWire() = %v, want %v", why, c, got, want)
		}
		payload := binary.BigEndian.AppendUint16(nil, uint16(c))
		gotCode, reason, err := ParseClose(payload)
		if want {
			if err != nil || gotCode != code || reason != "" {
				t.Errorf("%s: ParseClose(% x) = %d, %q, %v; want %d, \"\", nil", why, payload, gotCode, reason, err, c)
			}
		} else if err != ErrInvalidCloseCode || gotCode != 0 {
			t.Errorf("%s: ParseClose(% x) = %d, %v; want 0, ErrInvalidCloseCode", why, payload, gotCode, err)
		}
	}
}

func TestParseClose(t *testing.T) {
	reason123 := strings.Repeat("é", 61) + "!" // 61*2+1 = 123 bytes
	tests := []struct {
		name       string
		payload    []byte
		wantCode   CloseCode
		wantReason string
		wantErr    error
	}{
		{"§5.5.1 empty body means no status (§7.1.5)", nil, CloseNoStatus, "", nil},
		{"§5.5.1 1-byte body", []byte{0x03}, 0, "", ErrClosePayloadShort},
		{"§5.5.1 code only", []byte{0x03, 0xE8}, CloseNormal, "", nil},
		{"§5.5.1 code and reason", append([]byte{0x03, 0xE9}, "bye"...), CloseGoingAway, "bye", nil},
		{"§5.5.1 UTF-8 reason", append([]byte{0x0F, 0xA0}, "κόσμε"...), 4000, "κόσμε", nil},
		{"§5.5.1 123-byte reason", append([]byte{0x03, 0xE8}, reason123...), CloseNormal, reason123, nil},
		{"§5.5.1 reason not UTF-8", append([]byte{0x03, 0xE8}, 0xCE, 0xBA, 0xE1, 0xBD), 0, "", ErrInvalidCloseReason},
		{"§5.5.1 reason with surrogate", append([]byte{0x03, 0xE8}, 0xED, 0xA0, 0x80), 0, "", ErrInvalidCloseReason},
		{"§7.4.1 1005 on the wire", []byte{0x03, 0xED}, 0, "", ErrInvalidCloseCode},
		{"§7.4.1 1006 on the wire", []byte{0x03, 0xEE}, 0, "", ErrInvalidCloseCode},
		{"§7.4.1 1015 on the wire", []byte{0x03, 0xF7}, 0, "", ErrInvalidCloseCode},
		{"§7.4.2 code 0", []byte{0x00, 0x00, 'x'}, 0, "", ErrInvalidCloseCode},
		{"§7.4 bad code checked before bad reason", []byte{0x00, 0x00, 0xFF}, 0, "", ErrInvalidCloseCode},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, reason, err := ParseClose(tc.payload)
			if code != tc.wantCode || reason != tc.wantReason || err != tc.wantErr {
				t.Errorf("ParseClose(% x) = %d, %q, %v; want %d, %q, %v", tc.payload, code, reason, err, tc.wantCode, tc.wantReason, tc.wantErr)
			}
		})
	}
}

func TestAppendClose(t *testing.T) {
	ascii := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		name       string
		code       CloseCode
		reason     string
		want       []byte // nil: code bytes followed by wantReason
		wantReason string
	}{
		{"§5.5.1 no status writes nothing", CloseNoStatus, "", []byte{}, ""},
		{"§5.5.1 no status drops the reason", CloseNoStatus, "ignored", []byte{}, ""},
		{"§5.5.1 code only", CloseNormal, "", []byte{0x03, 0xE8}, ""},
		{"§5.5.1 code and reason", CloseGoingAway, "bye", nil, "bye"},
		{"§5.5 123-byte reason kept", CloseNormal, ascii(123), nil, ascii(123)},
		{"§5.5 124-byte reason cut to 123", CloseNormal, ascii(124), nil, ascii(123)},
		{"§5.5 long reason cut to 123", CloseNormal, ascii(1000), nil, ascii(123)},
		{"§5.5 2-byte rune straddling the limit dropped", CloseNormal, ascii(122) + "é", nil, ascii(122)},
		{"§5.5 2-byte rune ending at the limit kept", CloseNormal, ascii(121) + "é" + "z", nil, ascii(121) + "é"},
		{"§5.5 3-byte rune straddling the limit dropped", CloseNormal, ascii(121) + "€", nil, ascii(121)},
		{"§5.5 3-byte rune straddling by 1 dropped", CloseNormal, ascii(122) + "€", nil, ascii(122)},
		{"§5.5 4-byte rune straddling the limit dropped", CloseNormal, ascii(120) + "😀", nil, ascii(120)},
		{"§5.5 4-byte rune ending at the limit kept", CloseNormal, ascii(119) + "😀" + "z", nil, ascii(119) + "😀"},
		{"§7.4.2 private code", 4999, "x", nil, "x"},
		{"invalid code written as given", CloseAbnormal, "", []byte{0x03, 0xEE}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.want
			if want == nil {
				want = append(binary.BigEndian.AppendUint16(nil, uint16(tc.code)), tc.wantReason...)
			}
			got := AppendClose([]byte("pre"), tc.code, tc.reason)
			if !bytes.Equal(got, append([]byte("pre"), want...)) {
				t.Errorf("AppendClose(%d, %q) = %q, want %q", tc.code, tc.reason, got[3:], want)
			}
			if len(got)-3 > MaxControlPayload {
				t.Errorf("AppendClose wrote %d bytes, more than a control frame holds (§5.5)", len(got)-3)
			}
			if len(got) > 5 && !utf8.Valid(got[5:]) {
				t.Errorf("AppendClose wrote a reason that is not valid UTF-8: %q", got[5:])
			}
			if tc.code.ValidOnWire() || tc.code == CloseNoStatus {
				code, reason, err := ParseClose(got[3:])
				if err != nil || code != tc.code || reason != tc.wantReason {
					t.Errorf("ParseClose(AppendClose) = %d, %q, %v; want %d, %q", code, reason, err, tc.code, tc.wantReason)
				}
			}
		})
	}
}

func TestCloseCodeString(t *testing.T) {
	for _, tc := range []struct {
		code CloseCode
		want string
	}{
		{CloseNormal, "normal closure"},
		{CloseProtocolError, "protocol error"},
		{CloseNoStatus, "no status received"},
		{CloseInvalidPayload, "invalid frame payload data"},
		{CloseTooBig, "message too big"},
		{CloseTLSHandshake, "TLS handshake failure"},
		{4000, "CloseCode(4000)"},
		{1004, "CloseCode(1004)"},
	} {
		if got := tc.code.String(); got != tc.want {
			t.Errorf("CloseCode(%d).String() = %q, want %q", uint16(tc.code), got, tc.want)
		}
	}
}
