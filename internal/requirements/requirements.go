// Package requirements reads the requirements matrix: every normative sentence of the
// WebSocket RFCs (RFC 6455 §1–§11, RFC 7692 §5–§7 and RFC 8441), where this module
// implements it and which test checks it. The matrix is data,
// testdata/requirements/rfc*.tsv at the module root; this package parses it, indexes the
// module's Go declarations so that every reference can be checked, and renders the Markdown
// view docs/requirements.md.
//
// The view is generated: after editing a TSV file, run
//
//	go generate ./internal/requirements
//
// The package's tests fail on a dangling reference (a test, function or conformance case
// that does not exist), on a section missing from the RFC's table of contents, and on a
// view that is out of date; go test -v prints how many MUSTs are untested.
package requirements

//go:generate go run ./gen

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Statuses a requirement can have.
const (
	Tested      = "tested"               // implemented, and a named test checks it
	Implemented = "implemented-untested" // implemented, no test names it yet
	NotApplies  = "not-applicable"       // binds someone else (an intermediary, a browser, IANA); the note says why
	NotFollowed = "not-followed"         // deliberately not followed; the note says why
)

// Roles a requirement binds.
var roles = map[string]bool{"client": true, "server": true, "both": true, "intermediary": true, "extension-spec": true}

// Levels are the RFC 2119 keywords a row may carry, in the order the view counts them.
var Levels = []string{"MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY"}

// Requirement is one row of the matrix: one normative sentence and where it lives in the code.
type Requirement struct {
	RFC            string   // "6455", from the file name
	Line           int      // line in the TSV file, for error messages
	Section        string   // "5.5.1"
	Level          string   // "MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY"
	Role           string   // "client", "server", "both", "intermediary", "extension-spec"
	Text           string   // the sentence, quoted briefly
	Implementation []string // "conn.Conn.handleControl": package directory, then a declaration (space-separated in the file)
	Tests          []string // "conn.TestServerRules/unmasked", or "conform 5.19"
	Status         string   // Tested, Implemented, NotApplies or NotFollowed
	Note           string   // why, for NotApplies and NotFollowed; anything worth knowing otherwise
}

// IsMust reports whether r is an absolute requirement (MUST or MUST NOT).
func (r Requirement) IsMust() bool { return r.Level == "MUST" || r.Level == "MUST NOT" }

// Dir is testdata/requirements below the module root.
func Dir(root string) string { return filepath.Join(root, "testdata", "requirements") }

// Load reads every rfc<N>.tsv file in dir, in RFC order.
func Load(dir string) ([]Requirement, error) {
	files, err := filepath.Glob(filepath.Join(dir, "rfc*.tsv"))
	if err != nil {
		return nil, err
	}
	var all []Requirement
	for _, f := range files {
		if strings.HasSuffix(f, "-toc.tsv") {
			continue
		}
		rfc := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "rfc"), ".tsv")
		rs, err := parseFile(f, rfc)
		if err != nil {
			return nil, err
		}
		all = append(all, rs...)
	}
	return all, nil
}

// The columns of a matrix file, in order.
var columns = []string{"section", "level", "role", "requirement", "implementation", "tests", "status", "note"}

func parseFile(name, rfc string) ([]Requirement, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rs []Requirement
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	line := 0
	header := false
	for sc.Scan() {
		line++
		text := sc.Text()
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Split(text, "\t")
		if !header {
			if strings.Join(fields, "\t") != strings.Join(columns, "\t") {
				return nil, fmt.Errorf("%s:%d: header must be %q", name, line, strings.Join(columns, "\\t"))
			}
			header = true
			continue
		}
		if len(fields) != len(columns) {
			return nil, fmt.Errorf("%s:%d: %d fields, want %d", name, line, len(fields), len(columns))
		}
		r := Requirement{
			RFC: rfc, Line: line,
			Section: fields[0], Level: fields[1], Role: fields[2], Text: fields[3],
			Implementation: list(fields[4]), Tests: list(fields[5]),
			Status: fields[6], Note: fields[7],
		}
		if err := r.wellFormed(); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, line, err)
		}
		rs = append(rs, r)
	}
	return rs, sc.Err()
}

// list splits a column of references separated by spaces; "conform" and the case ID after it
// are one reference ("conform 5.19"). Subtest names have no spaces: t.Run turns them into
// underscores.
func list(s string) []string {
	var out []string
	fields := strings.Fields(s)
	for i := 0; i < len(fields); i++ {
		if fields[i] == strings.TrimSpace(ConformPrefix) && i+1 < len(fields) {
			out = append(out, ConformPrefix+fields[i+1])
			i++
			continue
		}
		out = append(out, fields[i])
	}
	return out
}

// wellFormed checks what a row says of itself: a known level, role and status, and the
// columns its status requires.
func (r Requirement) wellFormed() error {
	known := false
	for _, l := range Levels {
		known = known || r.Level == l
	}
	switch {
	case !known:
		return fmt.Errorf("level %q is not one of %v", r.Level, Levels)
	case !roles[r.Role]:
		return fmt.Errorf("role %q is not one of client, server, both, intermediary, extension-spec", r.Role)
	case r.Section == "" || r.Text == "":
		return fmt.Errorf("a row needs its section and its sentence")
	}
	switch r.Status {
	case Tested:
		if len(r.Implementation) == 0 || len(r.Tests) == 0 {
			return fmt.Errorf("%s needs an implementation and a test", r.Status)
		}
	case Implemented:
		if len(r.Implementation) == 0 || len(r.Tests) != 0 {
			return fmt.Errorf("%s needs an implementation and no test", r.Status)
		}
	case NotApplies, NotFollowed:
		if r.Note == "" {
			return fmt.Errorf("%s needs a note saying why", r.Status)
		}
	default:
		return fmt.Errorf("status %q is not one of %s, %s, %s, %s", r.Status, Tested, Implemented, NotApplies, NotFollowed)
	}
	return nil
}

// LoadTOC reads rfc<N>-toc.tsv: one "section<TAB>title" line per entry of the RFC's table of
// contents.
func LoadTOC(dir, rfc string) (map[string]string, error) {
	data, err := os.ReadFile(filepath.Join(dir, "rfc"+rfc+"-toc.tsv"))
	if err != nil {
		return nil, err
	}
	toc := make(map[string]string)
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		num, title, ok := strings.Cut(line, "\t")
		if !ok {
			return nil, fmt.Errorf("rfc%s-toc.tsv:%d: want section<TAB>title", rfc, i+1)
		}
		toc[num] = title
	}
	return toc, nil
}

// Untested returns the MUST and MUST NOT rows that are implemented but tested by nothing.
func Untested(rs []Requirement) []Requirement {
	var out []Requirement
	for _, r := range rs {
		if r.IsMust() && r.Status == Implemented {
			out = append(out, r)
		}
	}
	return out
}

// RFCs returns the RFC numbers present in rs, in order.
func RFCs(rs []Requirement) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range rs {
		if !seen[r.RFC] {
			seen[r.RFC] = true
			out = append(out, r.RFC)
		}
	}
	sort.Strings(out)
	return out
}
