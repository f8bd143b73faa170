package requirements

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rfc6455/ws/conform"
)

func load(t *testing.T) (string, []Requirement, *Index) {
	t.Helper()
	root, err := FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	rs, err := Load(Dir(root))
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) == 0 {
		t.Fatal("no requirements in testdata/requirements")
	}
	ix, err := NewIndex(root)
	if err != nil {
		t.Fatal(err)
	}
	return root, rs, ix
}

// TestMatrix keeps the matrix honest: every test, declaration and conformance case it names
// exists, and every section it cites is in the RFC's table of contents.
func TestMatrix(t *testing.T) {
	root, rs, ix := load(t)
	cases := conform.Cases()
	tocs := map[string]map[string]string{}
	for _, rfc := range RFCs(rs) {
		toc, err := LoadTOC(Dir(root), rfc)
		if err != nil {
			t.Fatal(err)
		}
		tocs[rfc] = toc
	}
	for _, r := range rs {
		where := "rfc" + r.RFC + ".tsv:" + strconv.Itoa(r.Line) + " §" + r.Section
		if _, ok := tocs[r.RFC][r.Section]; !ok {
			t.Errorf("%s: section %s is not in RFC %s's table of contents", where, r.Section, r.RFC)
		}
		for _, ref := range r.Implementation {
			if _, err := ix.DeclFile(ref); err != nil {
				t.Errorf("%s: %v", where, err)
			}
		}
		for _, ref := range r.Tests {
			if ids, ok := strings.CutPrefix(ref, ConformPrefix); ok {
				// "conform 5.19" names a case, "conform 6.4.*" (or a prefix) a group of them.
				if sel, err := conform.Select(cases, []string{ids}, nil); err != nil || len(sel) == 0 {
					t.Errorf("%s: %s: no such conformance case", where, ref)
				}
				continue
			}
			if _, err := ix.TestFile(ref); err != nil {
				t.Errorf("%s: %v", where, err)
			}
		}
	}
	untested := Untested(rs)
	for _, r := range untested {
		t.Logf("untested: RFC %s §%s %s (%s): %s", r.RFC, r.Section, r.Level, r.Role, r.Text)
	}
	t.Logf("%d requirements; %d MUST/MUST NOT implemented but untested", len(rs), len(untested))
}

// TestNoUntestedMust holds the goal: every MUST and MUST NOT this module implements is tested.
func TestNoUntestedMust(t *testing.T) {
	_, rs, _ := load(t)
	for _, r := range Untested(rs) {
		t.Errorf("rfc%s.tsv:%d: §%s %s is implemented but untested: %s", r.RFC, r.Line, r.Section, r.Level, r.Text)
	}
}

// TestViewUpToDate fails when docs/requirements.md is not what go generate would write.
func TestViewUpToDate(t *testing.T) {
	root, err := FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := Generate(root)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(root, ViewPath))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s is out of date: run go generate ./internal/requirements", ViewPath)
	}
}

// TestCatchesDanglingReferences checks the checks: a reference to nothing is refused.
func TestCatchesDanglingReferences(t *testing.T) {
	_, _, ix := load(t)
	for _, ref := range []string{"conn.TestNoSuchTest", "conn.TestNoSuchTest/sub", "nosuchdir.TestX", "conn.NotATestName"} {
		if _, err := ix.TestFile(ref); err == nil {
			t.Errorf("TestFile(%q) found a test that does not exist", ref)
		}
	}
	if _, err := ix.TestFile("internal/requirements.TestMatrix/" + strings.ToUpper("absent-subtest")); err == nil {
		t.Error("a subtest named nowhere in the package's literals was accepted")
	}
	if _, err := ix.TestFile("internal/requirements.TestMatrix"); err != nil {
		t.Errorf("a test that exists was refused: %v", err)
	}
	for _, ref := range []string{"conn.NoSuchFunc", "conn.Conn.NoSuchMethod", "frame"} {
		if _, err := ix.DeclFile(ref); err == nil {
			t.Errorf("DeclFile(%q) found a declaration that does not exist", ref)
		}
	}
	for _, ref := range []string{"conn.Conn.ReadMessage", "frame.ParseHeader", "conn.UpgradeOptions.ReadLimit"} {
		if _, err := ix.DeclFile(ref); err != nil {
			t.Errorf("a declaration that exists was refused: %v", err)
		}
	}
	bad := Requirement{Section: "5.1", Level: "MUST", Role: "both", Text: "x", Status: Tested, Implementation: []string{"frame.ParseHeader"}}
	if bad.wellFormed() == nil {
		t.Error("a tested row without a test was accepted")
	}
}
