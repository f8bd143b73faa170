package load

import (
	"fmt"
	"strconv"
	"strings"
)

// Scenario is one echo workload.
type Scenario struct {
	Conns    int  // connections, each with its own writer and reader
	InFlight int  // messages sent and not yet echoed, per connection
	Size     int  // payload bytes per message
	Text     bool // text (UTF-8, validated by the server) rather than binary
	Frags    int  // frames per message; more than 1 puts a ping between each two fragments

	// Compressible, with Text, sends CompressibleTextPayload instead of TextPayload: text that
	// deflate shrinks a lot at every size, for the permessage-deflate matrix.
	Compressible bool
}

// Name is the scenario's name in results: c<conns>/k<in flight>/<text|ctext|binary>/<size>,
// with /frag<n> appended for fragmented messages, such as "c16/k1/text/1KiB/frag4". "ctext" is
// compressible text.
func (s Scenario) Name() string {
	kind := "binary"
	switch {
	case s.Compressible:
		kind = "ctext"
	case s.Text:
		kind = "text"
	}
	name := fmt.Sprintf("c%d/k%d/%s/%s", s.Conns, s.InFlight, kind, FormatSize(s.Size))
	if s.Frags > 1 {
		name += fmt.Sprintf("/frag%d", s.Frags)
	}
	return name
}

// Validate reports a scenario that cannot run.
func (s Scenario) Validate() error {
	switch {
	case s.Conns < 1:
		return fmt.Errorf("load: %d connections", s.Conns)
	case s.InFlight < 1:
		return fmt.Errorf("load: %d messages in flight", s.InFlight)
	case s.Size < 0:
		return fmt.Errorf("load: size %d", s.Size)
	case s.Frags < 1:
		return fmt.Errorf("load: %d fragments", s.Frags)
	case s.Frags > 1 && s.Frags > s.Size:
		return fmt.Errorf("load: %d fragments of a %d-byte message", s.Frags, s.Size)
	case s.Compressible && !s.Text:
		return fmt.Errorf("load: compressible binary messages: Compressible needs Text")
	}
	return nil
}

// MaxBytesInFlight is the cap on Conns × InFlight × Size that trims the standard matrix.
const MaxBytesInFlight = 2 << 20

// Matrix returns the standard matrix of 53 scenarios:
//
//   - 48 unfragmented: conns {1, 16, 256} × in flight {1, 16} × size {16 B, 128 B, 1 KiB,
//     16 KiB, 64 KiB, 1 MiB} × {binary, text}, keeping only the cells whose bytes in flight
//     (conns × in flight × size) are at most MaxBytesInFlight (2 MiB). That drops, for each of
//     binary and text: c1/k16/1MiB, c16/k1/1MiB, c16/k16/{16KiB,64KiB,1MiB},
//     c256/k1/{16KiB,64KiB,1MiB} and c256/k16/{1KiB,16KiB,64KiB,1MiB} (12 of 36).
//   - 5 fragmented text messages, 4 frames each with a ping between each two:
//     c1/k1/{1KiB,64KiB,1MiB}, c16/k16/1KiB and c256/k1/1KiB.
func Matrix() []Scenario {
	var m []Scenario
	for _, conns := range []int{1, 16, 256} {
		for _, inflight := range []int{1, 16} {
			for _, size := range []int{16, 128, 1 << 10, 16 << 10, 64 << 10, 1 << 20} {
				if conns*inflight*size > MaxBytesInFlight {
					continue
				}
				for _, text := range []bool{false, true} {
					m = append(m, Scenario{Conns: conns, InFlight: inflight, Size: size, Text: text, Frags: 1})
				}
			}
		}
	}
	for _, f := range []Scenario{
		{Conns: 1, InFlight: 1, Size: 1 << 10}, {Conns: 1, InFlight: 1, Size: 64 << 10},
		{Conns: 1, InFlight: 1, Size: 1 << 20}, {Conns: 16, InFlight: 16, Size: 1 << 10},
		{Conns: 256, InFlight: 1, Size: 1 << 10},
	} {
		f.Text, f.Frags = true, 4
		m = append(m, f)
	}
	return m
}

// QuickMatrix returns 8 scenarios of the standard matrix that span it: latency of one small
// message, small pipelined messages, many connections, large messages and fragmentation.
func QuickMatrix() []Scenario {
	names := []string{
		"c1/k1/binary/16B", "c1/k16/binary/128B", "c16/k16/text/1KiB", "c256/k1/binary/128B",
		"c16/k1/binary/16KiB", "c1/k1/binary/64KiB", "c1/k1/text/1MiB", "c1/k1/text/64KiB/frag4",
	}
	var q []Scenario
	for _, n := range names {
		s, err := Lookup(n)
		if err != nil {
			panic(err) // the list above names scenarios of Matrix
		}
		q = append(q, s)
	}
	return q
}

// DeflateMatrix returns the 51 scenarios of the permessage-deflate matrix: conns {1, 16, 256} ×
// in flight {1, 16} × size {128 B, 1 KiB, 16 KiB, 64 KiB} × {text, ctext, binary}, keeping, as
// Matrix does, only the cells with at most MaxBytesInFlight (2 MiB) of payload in flight. That
// drops, for each of the three payloads, c16/k16/{16KiB,64KiB}, c256/k1/{16KiB,64KiB} and
// c256/k16/{1KiB,16KiB,64KiB} (7 of 24). Messages are not fragmented. Sizes start at 128 B:
// below that deflate cannot win, and the servers send such messages uncompressed anyway.
func DeflateMatrix() []Scenario {
	var m []Scenario
	for _, conns := range []int{1, 16, 256} {
		for _, inflight := range []int{1, 16} {
			for _, size := range []int{128, 1 << 10, 16 << 10, 64 << 10} {
				if conns*inflight*size > MaxBytesInFlight {
					continue
				}
				for _, p := range []Scenario{{Text: true}, {Text: true, Compressible: true}, {}} {
					p.Conns, p.InFlight, p.Size, p.Frags = conns, inflight, size, 1
					m = append(m, p)
				}
			}
		}
	}
	return m
}

// QuickDeflateMatrix returns 8 scenarios of DeflateMatrix that span it: one message at a time
// of each payload, pipelined, many connections, and the largest messages.
func QuickDeflateMatrix() []Scenario {
	names := []string{
		"c1/k1/text/1KiB", "c1/k1/ctext/16KiB", "c1/k1/binary/64KiB", "c1/k16/text/16KiB",
		"c16/k1/ctext/1KiB", "c16/k16/binary/1KiB", "c256/k1/text/1KiB", "c256/k16/ctext/128B",
	}
	var q []Scenario
	for _, n := range names {
		s, err := Lookup(n)
		if err != nil {
			panic(err) // the list above names scenarios of DeflateMatrix
		}
		q = append(q, s)
	}
	return q
}

// Lookup returns the scenario with the given name from the standard matrix or the
// permessage-deflate matrix.
func Lookup(name string) (Scenario, error) {
	for _, s := range append(Matrix(), DeflateMatrix()...) {
		if s.Name() == name {
			return s, nil
		}
	}
	return Scenario{}, fmt.Errorf("load: no scenario %q in the standard or the deflate matrix", name)
}

// FormatSize writes a byte count the way scenario names do: 16B, 1KiB, 64KiB, 1MiB.
func FormatSize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.Itoa(n>>20) + "MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.Itoa(n>>10) + "KiB"
	}
	return strconv.Itoa(n) + "B"
}

// ParseSize reads a byte count written as FormatSize does, or as a plain number of bytes.
func ParseSize(s string) (int, error) {
	mult := 1
	num := s
	switch {
	case strings.HasSuffix(s, "MiB"):
		mult, num = 1<<20, strings.TrimSuffix(s, "MiB")
	case strings.HasSuffix(s, "KiB"):
		mult, num = 1<<10, strings.TrimSuffix(s, "KiB")
	case strings.HasSuffix(s, "B"):
		num = strings.TrimSuffix(s, "B")
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("load: bad size %q", s)
	}
	return n * mult, nil
}
