package conform

import (
	"encoding/json"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Report is the outcome of a run of the suite against one implementation.
type Report struct {
	Mode     string // "server" when a server was tested (CheckServer), "client" for a FuzzingServer
	Agent    string // the implementation under test
	Target   string // the URL tested, or the address the fuzzing server listened on
	Started  time.Time
	Duration time.Duration
	Results  []Result // in case order
}

// Counts is how many cases ended with each verdict.
type Counts struct {
	Total, OK, NonStrict, Informational, Failed int
}

// add counts one verdict.
func (c *Counts) add(v Verdict) {
	c.Total++
	switch v {
	case OK:
		c.OK++
	case NonStrict:
		c.NonStrict++
	case Informational:
		c.Informational++
	default:
		c.Failed++
	}
}

// Counts counts the verdicts of the report.
func (r *Report) Counts() Counts {
	var c Counts
	for _, res := range r.Results {
		c.add(res.Verdict)
	}
	return c
}

// FamilyCounts is the count of verdicts in one family of cases.
type FamilyCounts struct {
	Family string // "6"
	Name   string // "UTF-8"
	Counts
}

// Families counts the verdicts family by family, in case order.
func (r *Report) Families() []FamilyCounts {
	var out []FamilyCounts
	for _, res := range r.Results {
		f := Family(res.ID)
		if len(out) == 0 || out[len(out)-1].Family != f {
			out = append(out, FamilyCounts{Family: f, Name: FamilyName(f)})
		}
		out[len(out)-1].add(res.Verdict)
	}
	return out
}

// Passed reports whether every case passed: see Verdict.Passed.
func (r *Report) Passed(allowNonStrict bool) bool {
	for _, res := range r.Results {
		if !res.Verdict.Passed(allowNonStrict) {
			return false
		}
	}
	return true
}

// jsonReport and jsonResult are the JSON form of a report: durations in milliseconds, names in
// camelCase.
type jsonReport struct {
	Tool       string       `json:"tool"`
	Mode       string       `json:"mode"`
	Agent      string       `json:"agent"`
	Target     string       `json:"target"`
	Started    time.Time    `json:"started"`
	DurationMS float64      `json:"durationMs"`
	Summary    jsonCounts   `json:"summary"`
	Cases      []jsonResult `json:"cases"`
}

type jsonCounts struct {
	Total         int `json:"total"`
	OK            int `json:"OK"`
	NonStrict     int `json:"NON-STRICT"`
	Informational int `json:"INFORMATIONAL"`
	Failed        int `json:"FAILED"`
}

type jsonResult struct {
	ID          string         `json:"id"`
	Description string         `json:"description"`
	Expectation string         `json:"expectation"`
	Verdict     Verdict        `json:"verdict"`
	Observed    string         `json:"observed"`
	CloseCode   int            `json:"closeCode,omitempty"`
	DurationMS  float64        `json:"durationMs"`
	RoundTripMS float64        `json:"roundTripMs,omitempty"`
	Received    map[string]int `json:"received,omitempty"`
	Log         []string       `json:"log,omitempty"`
}

// milliseconds converts a duration for the JSON report.
func milliseconds(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	c := r.Counts()
	out := jsonReport{
		Tool:       "wsconform",
		Mode:       r.Mode,
		Agent:      r.Agent,
		Target:     r.Target,
		Started:    r.Started,
		DurationMS: milliseconds(r.Duration),
		Summary:    jsonCounts{c.Total, c.OK, c.NonStrict, c.Informational, c.Failed},
		Cases:      make([]jsonResult, 0, len(r.Results)),
	}
	for _, res := range r.Results {
		out.Cases = append(out.Cases, jsonResult{
			ID:          res.ID,
			Description: res.Description,
			Expectation: res.Expectation,
			Verdict:     res.Verdict,
			Observed:    res.Observed,
			CloseCode:   res.CloseCode,
			DurationMS:  milliseconds(res.Duration),
			RoundTripMS: milliseconds(res.RoundTrip),
			Received:    res.Received,
			Log:         res.Log,
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// WriteHTML writes the report as a self-contained HTML page: no scripts, no links, styles inline.
func (r *Report) WriteHTML(w io.Writer) error {
	return reportTemplate.Execute(w, r)
}

// WriteFiles writes the report to dir as AGENT.json and AGENT.html, with the agent's name made
// safe for a file name, creating dir if needed. It returns the paths written.
func (r *Report) WriteFiles(dir string) (jsonPath, htmlPath string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	base := filepath.Join(dir, fileName(r.Agent))
	jsonPath, htmlPath = base+".json", base+".html"
	for _, f := range []struct {
		path  string
		write func(io.Writer) error
	}{{jsonPath, r.WriteJSON}, {htmlPath, r.WriteHTML}} {
		file, err := os.Create(f.path)
		if err != nil {
			return "", "", err
		}
		err = f.write(file)
		if cerr := file.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return "", "", err
		}
	}
	return jsonPath, htmlPath, nil
}

// fileName turns an agent name into a file name: letters, digits, '-', '_' and '.' stay, the rest
// becomes '_'.
func fileName(agent string) string {
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, agent)
	if name == "" || strings.Trim(name, ".") == "" {
		name = "report"
	}
	return name
}

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"ms": func(d time.Duration) string {
		if d == 0 {
			return ""
		}
		return d.Round(100 * time.Microsecond).String()
	},
	"class": func(v Verdict) string { return strings.ToLower(string(v)) },
	"notOK": func(results []Result) []Result {
		var out []Result
		for _, r := range results {
			if r.Verdict != OK {
				out = append(out, r)
			}
		}
		return out
	},
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>wsconform: {{.Agent}}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
th { background: #f3f3f3; }
td:nth-child(1), td:nth-child(2) { white-space: nowrap; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.ok { background: #d8f5d0; } .non-strict { background: #fff2b3; }
.informational { background: #dde8ff; } .failed { background: #ffc9c9; }
details pre { background: #f7f7f7; padding: 0.5em; overflow-x: auto; font-size: 12px; }
summary { cursor: pointer; }
</style>
</head>
<body>
<h1>wsconform report: {{.Agent}}</h1>
<p>{{if eq .Mode "server"}}Server at {{.Target}}, tested as a client.{{else}}Client tested by the fuzzing server at {{.Target}}.{{end}}
Started {{.Started.Format "2006-01-02 15:04:05 MST"}}, took {{ms .Duration}}.</p>
{{with .Counts}}<p>{{.Total}} cases: <span class="ok">{{.OK}} OK</span>, <span class="non-strict">{{.NonStrict}} NON-STRICT</span>,
<span class="informational">{{.Informational}} INFORMATIONAL</span>, <span class="failed">{{.Failed}} FAILED</span>.</p>{{end}}
<table>
<tr><th>family</th><th>cases</th><th>OK</th><th>NON-STRICT</th><th>INFORMATIONAL</th><th>FAILED</th></tr>
{{range .Families}}<tr><td>{{.Family}} {{.Name}}</td><td class="n">{{.Total}}</td><td class="n">{{.OK}}</td><td class="n">{{.NonStrict}}</td><td class="n">{{.Informational}}</td><td class="n">{{.Failed}}</td></tr>
{{end}}</table>
{{with notOK .Results}}<h2>Cases that are not OK</h2>
<table>
<tr><th>case</th><th>verdict</th><th>description and observation</th></tr>
{{range .}}<tr><td>{{.ID}}</td><td class="{{class .Verdict}}">{{.Verdict}}</td><td>{{.Description}}<br>{{.Observed}}</td></tr>
{{end}}</table>{{end}}
<h2>All cases</h2>
<table>
<tr><th>case</th><th>verdict</th><th>description and observation</th><th>time</th><th>round trip</th></tr>
{{range .Results}}<tr id="case-{{.ID}}">
<td>{{.ID}}</td><td class="{{class .Verdict}}">{{.Verdict}}</td>
<td>{{.Description}}<details><summary>{{.Observed}}</summary>
<p><b>Expected:</b> {{.Expectation}}</p>
{{if .CloseCode}}<p><b>Peer's close code:</b> {{.CloseCode}}</p>{{end}}
{{if .Received}}<p><b>Frames received:</b>{{range $op, $n := .Received}} {{$op}} {{$n}};{{end}}</p>{{end}}
<pre>{{range .Log}}{{.}}
{{end}}</pre></details></td>
<td class="n">{{ms .Duration}}</td><td class="n">{{ms .RoundTrip}}</td>
</tr>
{{end}}</table>
</body>
</html>
`))
