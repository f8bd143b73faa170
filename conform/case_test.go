package conform

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// autobahnIDs returns the IDs of the Autobahn TestSuite's cases of families 1–10, 12 and 13, which
// the suite must all have, numbered alike.
func autobahnIDs() []string {
	var ids []string
	group := func(prefix string, n int) {
		for i := 1; i <= n; i++ {
			ids = append(ids, fmt.Sprintf("%s.%d", prefix, i))
		}
	}
	group("1.1", 8)
	group("1.2", 8)
	group("2", 11)
	group("3", 7)
	group("4.1", 5)
	group("4.2", 5)
	group("5", 20)
	group("6.1", 3)
	group("6.2", 4)
	group("6.3", 2)
	group("6.4", 4)
	for i, n := range []int{5, 11, 4, 2, 4, 3, 5, 8, 5, 10, 1, 3, 5, 5, 5, 7, 8, 34, 7} {
		group(fmt.Sprintf("6.%d", 5+i), n)
	}
	group("7.1", 6)
	group("7.3", 6)
	group("7.5", 1)
	group("7.7", 13)
	group("7.9", 9)
	group("7.13", 2)
	for i, n := range []int{6, 6, 9, 9, 6, 6, 6, 6} {
		group(fmt.Sprintf("9.%d", 1+i), n)
	}
	group("10.1", 1)
	for i := range 5 { // 12.1–12.5: five payloads, 18 sizes each
		group(fmt.Sprintf("12.%d", 1+i), 18)
	}
	for i := range 7 { // 13.1–13.7: seven sets of parameters, 18 sizes each
		group(fmt.Sprintf("13.%d", 1+i), 18)
	}
	return ids
}

func TestCasesWellFormed(t *testing.T) {
	cases := Cases()
	seen := make(map[string]bool)
	for i, c := range cases {
		if seen[c.ID] {
			t.Errorf("case %s appears twice", c.ID)
		}
		seen[c.ID] = true
		if i > 0 && CompareIDs(cases[i-1].ID, c.ID) >= 0 {
			t.Errorf("case %s comes after %s", c.ID, cases[i-1].ID)
		}
		if c.run == nil {
			t.Errorf("case %s has no behaviour", c.ID)
		}
		if !strings.Contains(c.Description, "§") {
			t.Errorf("case %s: the description cites no RFC section: %q", c.ID, c.Description)
		}
		if c.Expectation == "" {
			t.Errorf("case %s has no expectation", c.ID)
		}
		if FamilyName(Family(c.ID)) == "" {
			t.Errorf("case %s is in family %q, which has no name", c.ID, Family(c.ID))
		}
	}
}

// TestAutobahnNumbering checks that every Autobahn case of families 1–10, 12 and 13 is here under its own
// number, and that every case that is not says it goes beyond Autobahn.
func TestAutobahnNumbering(t *testing.T) {
	autobahn := autobahnIDs()
	byID := make(map[string]Case)
	for _, c := range Cases() {
		byID[c.ID] = c
	}
	for _, id := range autobahn {
		c, ok := byID[id]
		if !ok {
			t.Errorf("Autobahn's case %s is missing", id)
			continue
		}
		if strings.Contains(c.Description, "Beyond Autobahn") {
			t.Errorf("case %s has an Autobahn number but says it goes beyond Autobahn", id)
		}
	}
	for id, c := range byID {
		if !slices.Contains(autobahn, id) && !strings.Contains(c.Description, "Beyond Autobahn") {
			t.Errorf("case %s is not Autobahn's but does not say so: %q", id, c.Description)
		}
	}
}

func TestMatchID(t *testing.T) {
	for _, tt := range []struct {
		pattern, id string
		want        bool
	}{
		{"1.1.1", "1.1.1", true},
		{"1.1.1", "1.1.10", false},
		{"1.1", "1.1.1", true}, // a prefix selects the cases under it
		{"1.1", "1.10.1", false},
		{"1", "1.2.3", true},
		{"1", "10.1.1", false},
		{"1.*", "1.2.3", true},
		{"1.*", "10.1.1", false},
		{"6.4.*", "6.4.3", true},
		{"6.4.*", "6.4", false},
		{"*", "9.1.1", true},
		{"*.1", "2.1", true},
		{"*.1", "2.11", false},
		{"6.*.1", "6.25.1", true},
		{" 7.1.1 ", "7.1.1", true},
		{"", "1.1.1", false},
	} {
		if got := MatchID(tt.pattern, tt.id); got != tt.want {
			t.Errorf("MatchID(%q, %q) = %v, want %v", tt.pattern, tt.id, got, tt.want)
		}
	}
}

func TestSelect(t *testing.T) {
	ids := func(cases []Case) []string {
		var out []string
		for _, c := range cases {
			out = append(out, c.ID)
		}
		return out
	}
	all := Cases()
	got, err := Select(all, []string{"6.4.*", "2.1"}, []string{"6.4.2"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"2.1", "6.4.1", "6.4.3", "6.4.4"}; !slices.Equal(ids(got), want) {
		t.Errorf("Select = %v, want %v", ids(got), want)
	}
	if got, _ := Select(all, nil, []string{"6", "9"}); len(got) != len(all)-countFamily(all, "6")-countFamily(all, "9") {
		t.Errorf("excluding families 6 and 9 left %d cases", len(got))
	}
	if _, err := Select(all, []string{"8.*"}, nil); err == nil {
		t.Error("Select with a pattern that matches nothing: no error")
	}
}

func countFamily(cases []Case, family string) int {
	n := 0
	for _, c := range cases {
		if Family(c.ID) == family {
			n++
		}
	}
	return n
}

func TestCompareIDs(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"1.1.1", "1.1.1", 0},
		{"1.1.2", "1.1.10", -1},
		{"6.9.1", "6.10.1", -1},
		{"9.8.6", "10.1.1", -1},
		{"2.10", "2.9", +1},
		{"5", "5.1", -1},
	} {
		if got := CompareIDs(tt.a, tt.b); got != tt.want {
			t.Errorf("CompareIDs(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestVerdictPassed(t *testing.T) {
	for _, tt := range []struct {
		v                 Verdict
		strict, nonStrict bool
	}{
		{OK, true, true},
		{Informational, true, true},
		{NonStrict, false, true},
		{Failed, false, false},
	} {
		if got := tt.v.Passed(false); got != tt.strict {
			t.Errorf("%s.Passed(false) = %v", tt.v, got)
		}
		if got := tt.v.Passed(true); got != tt.nonStrict {
			t.Errorf("%s.Passed(true) = %v", tt.v, got)
		}
	}
	if worse(OK, NonStrict) != NonStrict || worse(Failed, NonStrict) != Failed || worse(NonStrict, OK) != NonStrict {
		t.Error("worse does not rank FAILED over NON-STRICT over OK")
	}
}

// globReference is MatchID for patterns with '*', by way of a regular expression. Each byte is
// turned into the rune of the same number first, since MatchID works on bytes and a regular
// expression on valid UTF-8.
func globReference(pattern, id string) bool {
	latin1 := func(s string) string {
		r := make([]rune, len(s))
		for i := range len(s) {
			r[i] = rune(s[i])
		}
		return string(r)
	}
	parts := strings.Split(latin1(strings.TrimSpace(pattern)), "*")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile("^(?s:" + strings.Join(parts, ".*") + ")$").MatchString(latin1(id))
}

func FuzzMatchID(f *testing.F) {
	f.Add("6.4.*", "6.4.3")
	f.Add("*.1", "2.11")
	f.Add("1", "10.1.1")
	f.Add("**.*", "1..")
	f.Fuzz(func(t *testing.T, pattern, id string) {
		got := MatchID(pattern, id)
		p := strings.TrimSpace(pattern)
		var want bool
		switch {
		case p == "":
			want = false
		case strings.Contains(p, "*"):
			want = globReference(p, id)
		default:
			want = id == p || strings.HasPrefix(id, p+".")
		}
		if got != want {
			t.Errorf("MatchID(%q, %q) = %v, want %v", pattern, id, got, want)
		}
	})
}
