package main

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/rfc6455/ws/conform"
)

// printResult prints one case's verdict on a line, as -v does while cases run.
func printResult(w io.Writer, r conform.Result) {
	fmt.Fprintf(w, "%-13s %-8s %s\n", r.Verdict, r.ID, r.Description)
}

// printSummary prints the table of verdicts by family, then each case that is not OK with what was
// observed, then the overall outcome.
func printSummary(w io.Writer, r *conform.Report, allowNonStrict bool) {
	subject := "the server at " + r.Target
	if r.Mode == "client" {
		subject = "the client " + r.Agent
	}
	fmt.Fprintf(w, "\n%s: %d cases in %v\n\n", subject, len(r.Results), r.Duration.Round(time.Millisecond))

	// The first column is as wide as the longest family name, "12 compression, payloads".
	families := r.Families()
	width := len("family")
	for _, f := range families {
		width = max(width, len(f.Family+" "+f.Name))
	}
	row := "  %-" + strconv.Itoa(width) + "s %6v %6v %11v %14v %7v\n"
	fmt.Fprintf(w, row, "family", "cases", "OK", "NON-STRICT", "INFORMATIONAL", "FAILED")
	for _, f := range families {
		fmt.Fprintf(w, row, f.Family+" "+f.Name, f.Total, f.OK, f.NonStrict, f.Informational, f.Failed)
	}
	c := r.Counts()
	fmt.Fprintf(w, row, "total", c.Total, c.OK, c.NonStrict, c.Informational, c.Failed)

	first := true
	for _, res := range r.Results {
		if res.Verdict == conform.OK {
			continue
		}
		if first {
			fmt.Fprintln(w)
			first = false
		}
		fmt.Fprintf(w, "%-13s %-8s %s\n%22s%s\n", res.Verdict, res.ID, res.Description, "", res.Observed)
	}
	fmt.Fprintln(w)
	switch {
	case c.Failed > 0 || (c.NonStrict > 0 && !allowNonStrict):
		fmt.Fprintf(w, "FAIL: %d FAILED, %d NON-STRICT\n", c.Failed, c.NonStrict)
	case c.NonStrict > 0:
		fmt.Fprintf(w, "PASS: no case FAILED (%d NON-STRICT allowed)\n", c.NonStrict)
	default:
		fmt.Fprintln(w, "PASS: every case is OK or INFORMATIONAL")
	}
}
