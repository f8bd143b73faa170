package conform

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Verdict is the outcome of a case. See the package documentation for what
// each one means.
type Verdict string

// The four verdicts.
const (
	OK            Verdict = "OK"
	NonStrict     Verdict = "NON-STRICT"
	Informational Verdict = "INFORMATIONAL"
	Failed        Verdict = "FAILED"
)

// Passed reports whether v lets a run succeed: OK and INFORMATIONAL always do,
// NON-STRICT only when allowNonStrict is set, FAILED never.
func (v Verdict) Passed(allowNonStrict bool) bool {
	switch v {
	case OK, Informational:
		return true
	case NonStrict:
		return allowNonStrict
	}
	return false
}

// worse returns the more severe of two verdicts from a case's run: FAILED
// over NON-STRICT over OK. INFORMATIONAL is set by a case itself and not
// ranked here.
func worse(a, b Verdict) Verdict {
	rank := func(v Verdict) int {
		switch v {
		case Failed:
			return 2
		case NonStrict:
			return 1
		}
		return 0
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}

// DefaultTimeout bounds a case that sets no timeout of its own: the opening
// handshake, everything the case sends and waits for, and the close handshake.
const DefaultTimeout = 5 * time.Second

// Case is one conformance test. Cases come from Cases; a Case built by hand
// has no behaviour and fails when run.
type Case struct {
	ID          string        // "1.1.1": family, group, number
	Description string        // what the case sends, in one line, citing the RFC section
	Expectation string        // what a conforming peer does
	Timeout     time.Duration // the case's own time limit; 0 means the run's

	run func(s *session) // drives the peer and judges it

	// deflate, for the compression cases (families 12 and 13), is the permessage-deflate
	// configuration the case negotiates (RFC 7692), in the suite's order of preference: offered
	// to a server, or used to answer a client's offer. Other cases negotiate no extension.
	deflate []deflateChoice

	// alone makes CheckServer run the case on its own, after the others, because its verdict or
	// its measurement depends on timing: family 9's round trips; the cases where a peer may echo a
	// valid message or fail on the bad frame after it first (OK or NON-STRICT, as Autobahn judges
	// them); the fail-fast cases that wait; the close racing a large message. A peer busy with
	// other cases answers later, and the verdict would depend on the load.
	alone bool
}

// Result is what running a case found.
type Result struct {
	ID          string
	Description string
	Expectation string
	Verdict     Verdict
	Observed    string         // what the peer did, in a sentence or a few
	CloseCode   int            // the status code of the peer's close frame; 0 if none came or it had none
	Duration    time.Duration  // the whole case, opening handshake to TCP close
	RoundTrip   time.Duration  // for cases that time their messages (family 9): first byte sent to last echo received
	Received    map[string]int // frames received from the peer, by opcode name ("text", "continuation", ...)
	Log         []string       // the frames sent and the events received, abridged for long cases
}

// Cases returns every case of the suite in ID order. Each call returns a new
// slice, which the caller may reorder or filter.
func Cases() []Case {
	var all []Case
	all = append(all, framingCases()...)
	all = append(all, pingPongCases()...)
	all = append(all, reservedBitsCases()...)
	all = append(all, opcodeCases()...)
	all = append(all, fragmentationCases()...)
	all = append(all, utf8Cases()...)
	all = append(all, closeCases()...)
	all = append(all, limitsCases()...)
	all = append(all, miscCases()...)
	all = append(all, compressionCases()...)
	slices.SortStableFunc(all, func(a, b Case) int { return CompareIDs(a.ID, b.ID) })
	return all
}

// Select returns the cases whose IDs match one of the include patterns (all
// cases when include is empty) and none of the exclude patterns, in their
// original order. A pattern is a case ID in which '*' stands for any run of
// characters ("6.4.*", "1.*", "*.1"), or an ID prefix without '*', which
// selects that case and the cases under it ("6.4" is 6.4.1 to 6.4.4, "7" all
// of family 7). An include pattern that matches nothing is an error, since it
// is most likely a typo.
func Select(cases []Case, include, exclude []string) ([]Case, error) {
	for _, p := range include {
		if !slices.ContainsFunc(cases, func(c Case) bool { return MatchID(p, c.ID) }) {
			return nil, fmt.Errorf("conform: no case matches %q", p)
		}
	}
	var out []Case
	for _, c := range cases {
		matches := func(p string) bool { return MatchID(p, c.ID) }
		if len(include) > 0 && !slices.ContainsFunc(include, matches) {
			continue
		}
		if slices.ContainsFunc(exclude, matches) {
			continue
		}
		out = append(out, c)
	}
	return out, nil
}

// MatchID reports whether the case ID id matches pattern, as Select uses
// patterns.
func MatchID(pattern, id string) bool {
	pattern = strings.TrimSpace(pattern)
	if pattern == "" {
		return false
	}
	if !strings.Contains(pattern, "*") {
		return id == pattern || strings.HasPrefix(id, pattern+".")
	}
	return globMatch(pattern, id)
}

// globMatch matches s against pattern, in which '*' stands for any run of bytes, dots included,
// and every other byte for itself. It tries each '*' shortest first and, on a mismatch, lets the
// last '*' take one byte more: time proportional to len(pattern)*len(s) at worst.
func globMatch(pattern, s string) bool {
	p, i := 0, 0
	star, starAt := -1, 0 // the last '*' seen, and where in s its run began
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, starAt = p, i
			p++
		case p < len(pattern) && pattern[p] == s[i]:
			p++
			i++
		case star >= 0:
			starAt++
			p, i = star+1, starAt
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// CompareIDs orders case IDs by their numeric components, so that 6.9.1 comes
// before 6.10.1 and 9.1.1 before 10.1.1. It returns -1, 0 or +1.
func CompareIDs(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		x, errX := strconv.Atoi(as[i])
		y, errY := strconv.Atoi(bs[i])
		if errX != nil || errY != nil {
			if c := strings.Compare(as[i], bs[i]); c != 0 {
				return c
			}
			continue
		}
		if x != y {
			if x < y {
				return -1
			}
			return +1
		}
	}
	switch {
	case len(as) < len(bs):
		return -1
	case len(as) > len(bs):
		return +1
	}
	return 0
}

// Family returns the family of a case ID: "6" for "6.4.3".
func Family(id string) string {
	family, _, _ := strings.Cut(id, ".")
	return family
}

// FamilyName returns the name of a case family, such as "UTF-8" for "6", or
// "" for a family the suite does not have.
func FamilyName(family string) string {
	switch family {
	case "1":
		return "framing"
	case "2":
		return "pings and pongs"
	case "3":
		return "reserved bits"
	case "4":
		return "opcodes"
	case "5":
		return "fragmentation"
	case "6":
		return "UTF-8"
	case "7":
		return "close handshake"
	case "9":
		return "limits and speed"
	case "10":
		return "misc"
	case "12":
		return "compression, payloads"
	case "13":
		return "compression, parameters"
	}
	return ""
}
