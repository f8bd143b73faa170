package conform

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sampleReport is a report with one result of each verdict.
func sampleReport() *Report {
	return &Report{
		Mode:     "server",
		Agent:    "test/agent 1.0",
		Target:   "ws://127.0.0.1:1/",
		Started:  time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
		Duration: 1500 * time.Millisecond,
		Results: []Result{
			{ID: "1.1.1", Description: "d1 (§5.2)", Verdict: OK, Observed: "echo", Duration: 2 * time.Millisecond, Received: map[string]int{"text": 1}},
			{ID: "6.4.3", Description: "d2 (§8.1)", Verdict: NonStrict, Observed: "late", CloseCode: 1007},
			{ID: "7.13.1", Description: "d3 (§7.4)", Verdict: Informational, Observed: "close 1002"},
			{ID: "7.13.2", Description: "d4 (§7.4)", Verdict: Failed, Observed: "<script>alert(1)</script>", RoundTrip: time.Millisecond, Log: []string{"sent close"}},
		},
	}
}

func TestReportCounts(t *testing.T) {
	r := sampleReport()
	if got, want := r.Counts(), (Counts{Total: 4, OK: 1, NonStrict: 1, Informational: 1, Failed: 1}); got != want {
		t.Errorf("Counts = %+v, want %+v", got, want)
	}
	fams := r.Families()
	if len(fams) != 3 || fams[0].Family != "1" || fams[2].Family != "7" || fams[2].Total != 2 || fams[1].Name != "UTF-8" {
		t.Errorf("Families = %+v", fams)
	}
	if r.Passed(true) {
		t.Error("a report with a FAILED case passed")
	}
	r.Results = r.Results[:3]
	if r.Passed(false) || !r.Passed(true) {
		t.Error("with NON-STRICT: Passed(false) must be false and Passed(true) true")
	}
}

func TestReportJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleReport().WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Tool       string
		Agent      string
		DurationMS float64 `json:"durationMs"`
		Summary    map[string]int
		Cases      []struct {
			ID          string
			Verdict     string
			CloseCode   int     `json:"closeCode"`
			RoundTripMS float64 `json:"roundTripMs"`
			Received    map[string]int
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Tool != "wsconform" || got.Agent != "test/agent 1.0" || got.DurationMS != 1500 {
		t.Errorf("header: %+v", got)
	}
	if got.Summary["total"] != 4 || got.Summary["NON-STRICT"] != 1 || got.Summary["FAILED"] != 1 {
		t.Errorf("summary: %v", got.Summary)
	}
	if len(got.Cases) != 4 || got.Cases[1].Verdict != "NON-STRICT" || got.Cases[1].CloseCode != 1007 ||
		got.Cases[3].RoundTripMS != 1 || got.Cases[0].Received["text"] != 1 {
		t.Errorf("cases: %+v", got.Cases)
	}
}

func TestReportHTML(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleReport().WriteHTML(&buf); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{`id="case-6.4.3"`, `class="non-strict"`, `class="failed"`, "&lt;script&gt;", "4 cases"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page does not contain %q", want)
		}
	}
	// Self-contained: no scripts, no external resources.
	for _, unwanted := range []string{"<script", "src=", "href=", "<link"} {
		if strings.Contains(page, unwanted) {
			t.Errorf("the page contains %q", unwanted)
		}
	}
}

func TestReportWriteFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "reports")
	jsonPath, htmlPath, err := sampleReport().WriteFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "test_agent_1.0.json"); jsonPath != want {
		t.Errorf("JSON written to %s, want %s", jsonPath, want)
	}
	for _, p := range []string{jsonPath, htmlPath} {
		if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", p, err)
		}
	}
	for agent, want := range map[string]string{"": "report", "..": "report", "a b/c": "a_b_c", "ws-8.1": "ws-8.1"} {
		if got := fileName(agent); got != want {
			t.Errorf("fileName(%q) = %q, want %q", agent, got, want)
		}
	}
}
