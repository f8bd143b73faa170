package peertest

import (
	"bytes"
	"compress/flate"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/rfc6455/ws/frame"
)

// WireMessage is what the frame headers of one data message showed.
type WireMessage struct {
	Op          frame.Opcode
	RSV1        bool  // RSV1 on the first frame: the message is compressed (RFC 7692 §6)
	Frames      int   // frames it took
	Wire        int64 // payload bytes on the wire, over all its frames
	RSV1OnFrame bool  // RSV1 on a continuation frame, which RFC 7692 §6.1 forbids
}

// WireLog collects the frame headers that cross one connection, in each direction, from a
// Conn's trace hook (conn.Conn.SetTrace) or from a relay that reads them. The hook runs on the
// reading goroutine and on writing ones, hence the lock. The zero value is ready to use.
type WireLog struct {
	mu       sync.Mutex
	sent     []WireMessage // by our end (the server, for a relay)
	received []WireMessage
	problems []string // control frames with RSV bits, continuations out of place
}

// Trace logs the header h of a frame sent or received; it has the signature of Conn.SetTrace's
// hook.
func (l *WireLog) Trace(sent bool, h frame.Header) {
	l.mu.Lock()
	defer l.mu.Unlock()
	list := &l.received
	if sent {
		list = &l.sent
	}
	switch {
	case h.Op.IsControl():
		if h.Rsv != 0 {
			l.problems = append(l.problems, "RFC 7692 §6.1: RSV bits on a control frame: "+h.String())
		}
	case h.Op == frame.OpContinuation:
		if len(*list) == 0 {
			l.problems = append(l.problems, "a continuation frame starts a message: "+h.String())
			return
		}
		m := &(*list)[len(*list)-1]
		m.Frames++
		m.Wire += h.Length
		if h.Rsv&frame.Rsv1 != 0 {
			m.RSV1OnFrame = true
		}
	default:
		*list = append(*list, WireMessage{Op: h.Op, RSV1: h.Rsv&frame.Rsv1 != 0, Frames: 1, Wire: h.Length})
	}
}

// Messages returns copies of what was logged so far: the data messages sent and received, and
// the frames that broke the rules.
func (l *WireLog) Messages() (sent, received []WireMessage, problems []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]WireMessage(nil), l.sent...), append([]WireMessage(nil), l.received...), append([]string(nil), l.problems...)
}

// CheckProblems reports each of a WireLog's problems as an error.
func CheckProblems(t testing.TB, problems []string) {
	t.Helper()
	for _, p := range problems {
		t.Error(p)
	}
}

// Compressor is what one side's compressor must do under the parameters in force (RFC 7692
// §7.1), as far as the wire shows it.
type Compressor struct {
	Name      string
	Threshold int  // messages shorter than this go uncompressed (RSV1 clear), longer compressed
	Takeover  bool // it keeps its LZ77 window from message to message (§7.1.1)
	// WindowBits: its window is at most 2^WindowBits bytes (§7.1.2); 0 stands for 15, the
	// largest, as when the parameter is absent.
	WindowBits int
	// HuffmanOnly: ours, for a window under 15 bits: compress/flate cannot shrink its window,
	// so conn compresses without back-references (handshake.DeflateParams.HuffmanOnly).
	HuffmanOnly bool
	// Fragments: it sends a message of the list with Fragments > 1 in at least that many frames.
	Fragments bool
	// SkipsIncompressible: ours. A message that deflate does not shrink by 3 % and 32 bytes goes
	// uncompressed, and so do the next 1, 2, 4 … 64 of its opcode, without a trial
	// (conn.CompressionOptions.Threshold).
	SkipsIncompressible bool
	// StreamsFragments: our client, which writes a message with Fragments > 1 through
	// NextWriter (WriteFragmented), and so compressed whatever it holds.
	StreamsFragments bool
	// StreamsFrom: cmd/echo, which echoes a message of this size or more through NextWriter.
	StreamsFrom int
}

// shrinks reports whether a fresh compressor of c saves 3 % of p and 32 bytes, the test of a
// trial of SkipsIncompressible.
func (c Compressor) shrinks(p []byte) bool {
	level := flate.BestSpeed
	if c.HuffmanOnly {
		level = flate.HuffmanOnly
	}
	var out bytes.Buffer
	fw, _ := flate.NewWriter(&out, level)
	fw.Write(p)
	fw.Flush()
	return out.Len()-4+max(len(p)/32, 32) < len(p)
}

// Ours returns our Conn's compressor, named name, with the default threshold of 128 bytes,
// keeping its window if takeover, and with a window of 2^windowBits bytes (0 for 15).
func Ours(name string, takeover bool, windowBits int) Compressor {
	c := Compressor{Name: name, Threshold: 128, Takeover: takeover, WindowBits: windowBits, SkipsIncompressible: true}
	c.HuffmanOnly = c.windowBits() < 15
	return c
}

// OurClient is Ours for our client as EchoDeflateMessages drives it: a message with
// Fragments > 1 goes through NextWriter (WriteFragmented), and so compressed.
func OurClient(name string, takeover bool, windowBits int) Compressor {
	c := Ours(name, takeover, windowBits)
	c.StreamsFragments = true
	return c
}

// windowBits returns c.WindowBits, with 15 for 0.
func (c Compressor) windowBits() int {
	if c.WindowBits == 0 {
		return 15
	}
	return c.WindowBits
}

// dataIndex is 0 for text, 1 for binary.
func dataIndex(op frame.Opcode) int {
	if op == frame.OpText {
		return 0
	}
	return 1
}

// CheckWire checks the frames of the scenario's messages (list) as compressor c sent them (got,
// logged in order) against what it must do.
func CheckWire(t testing.TB, c Compressor, got []WireMessage, list []DeflateMessage) {
	t.Helper()
	if len(got) != len(list) {
		t.Errorf("%s sent %d data messages, want %d", c.Name, len(got), len(list))
		return
	}
	windowBits := c.windowBits()
	var skip, run [2]int // SkipsIncompressible: per opcode (text, binary), as conn keeps them
	var probes []string  // what the probes became on the wire, for the log
	defer func() { t.Logf("%s: %s", c.Name, strings.Join(probes, ", ")) }()
	for i, m := range list {
		w := got[i]
		what := func() string {
			return fmt.Sprintf("%s's message #%d (%s, %d bytes; %d on the wire in %d frames)", c.Name, i, m.Kind, m.Size, w.Wire, w.Frames)
		}
		if m.Kind != "text" && m.Kind != "binary" {
			probe := fmt.Sprintf("%s %d→%d", m.Kind, m.Size, w.Wire)
			if w.Frames > 1 {
				probe += fmt.Sprintf(" in %d frames", w.Frames)
			}
			probes = append(probes, probe)
		}
		if w.Op != m.Opcode() {
			t.Errorf("%s: opcode %v, want %v", what(), w.Op, m.Opcode())
			continue
		}
		if w.RSV1OnFrame {
			t.Errorf("RFC 7692 §6.1: %s has RSV1 on a continuation frame", what())
		}
		// websockets sends an empty final frame after the fragments.
		if c.Fragments && m.Fragments > 1 && w.Frames < m.Fragments {
			t.Errorf("§5.4: %s, want at least %d frames", what(), m.Fragments)
		}
		// RFC 7692 §6: RSV1 on the first frame marks a compressed message. Every compressor
		// here compresses what reaches its threshold and nothing shorter, except that ours
		// sends plain what would not shrink and the run of messages after it.
		streamed := c.StreamsFragments && m.Fragments > 1 || c.StreamsFrom > 0 && m.Size >= c.StreamsFrom
		if k := dataIndex(m.Opcode()); c.SkipsIncompressible && m.Size >= c.Threshold && streamed {
			// Written with NextWriter, which always compresses.
			if !w.RSV1 {
				t.Errorf("RFC 7692 §6: %s, written in fragments, is not compressed", what())
				continue
			}
		} else if c.SkipsIncompressible && m.Size >= c.Threshold {
			switch {
			case skip[k] > 0:
				skip[k]--
				if w.RSV1 {
					t.Errorf("%s is compressed, but it comes in the run after one that did not shrink, sent plain without a trial", what())
				}
				continue
			case !w.RSV1 && c.shrinks(m.Content()):
				t.Errorf("RFC 7692 §6: %s went uncompressed, though deflate shrinks it", what())
				continue
			case !w.RSV1:
				run[k] = min(max(1, 2*run[k]), 64)
				skip[k] = run[k]
				continue
			}
			run[k] = 0
		} else if want := m.Size >= c.Threshold; w.RSV1 != want {
			t.Errorf("RFC 7692 §6: %s has RSV1=%v, want %v (threshold %d bytes)", what(), w.RSV1, want, c.Threshold)
			continue
		}
		if !w.RSV1 {
			continue
		}
		size := int64(m.Size)
		switch {
		case m.Kind == "repeated" && c.HuffmanOnly:
			// No back-references: a bit or so per character.
			if w.Wire > size/4 {
				t.Errorf("%s: compressed without back-references, it should still shrink 4:1", what())
			}
		case m.Kind == "repeated":
			if w.Wire > size/500 {
				t.Errorf("%s: one character repeated should shrink about 1000:1", what())
			}
		case m.Kind == "window" && (c.HuffmanOnly || windowBits <= 10):
			// RFC 7692 §7.1.2: a window of 1 KiB (or none) cannot reach back 2048 bytes; a
			// compressor that did would break a peer's inflater, whose window is that small.
			if w.Wire < size*9/10 {
				t.Errorf("RFC 7692 §7.1.2: %s: shrank as if its window were larger than 2^%d bytes", what(), windowBits)
			}
		case m.Kind == "window" && windowBits >= 12:
			if w.Wire > size/4 {
				t.Errorf("RFC 7692 §7.1.2: %s: with a window of 2^%d bytes it should shrink to the 2048-byte block", what(), windowBits)
			}
		case i > 0 && m == list[i-1]:
			// The same random bytes again: only a compressor that kept its window from the
			// first copy (§7.1.1), and whose window reaches back to it (§7.1.2), can send
			// the second as back-references, and so in fewer bytes than it has. (zlib's
			// reach is its window less 262 bytes. It sends a few bytes; compress/flate at
			// BestSpeed, conn's default level and coder's, only matches part of a copy 20000
			// bytes back.)
			if c.Takeover && !c.HuffmanOnly && m.Size+262 <= 1<<windowBits {
				if w.Wire >= size*9/10 {
					t.Errorf("RFC 7692 §7.1.1: %s: the second copy should be a back-reference to the first (context takeover)", what())
				}
			} else if w.Wire < size*9/10 {
				t.Errorf("RFC 7692 §7.1.1, §7.1.2: %s: the second copy shrank, so it refers back to the first, "+
					"which no_context_takeover (in force: %v) or a window of 2^%d bytes forbids", what(), !c.Takeover, windowBits)
			}
		}
	}
}
