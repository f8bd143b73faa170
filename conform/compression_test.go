package conform_test

// The compression families (12 and 13, permessage-deflate, RFC 7692) against our stack with
// compression on: conn.Upgrade with the default options and with its own context takeover, and
// conn.Dial offering client_max_window_bits as browsers do, must be OK in every case. conn.Dial
// with the default options, which does not offer client_max_window_bits, must be INFORMATIONAL
// exactly where a case needs to ask for the client's window. (With compression off, TestOurServer
// and TestOurClient find every compression case INFORMATIONAL.)
//
// The suite must also be able to fail here: broken_deflate_test.go has the peers made wrong.

import (
	"slices"
	"strings"
	"testing"

	"github.com/rfc6455/ws/conform"
	"github.com/rfc6455/ws/conn"
)

// The compression runs take cases by these patterns (see conform.Select). Without the race
// detector or -short, the runs of our stack with compression on take every case of families 12
// and 13, and the others (another configuration, the broken peers) take the cases of
// deflateCrossSection: of each group, 1000 messages of 16 bytes, 1000 of 1 KiB, 16 of 64 KiB,
// and 8 of 128 KiB in frames of 256 bytes, which together have many round trips, context taken
// over, large messages and fragments.
//
// Under the race detector or -short, a thousand round trips or a megabyte compressed through
// instrumented code take seconds a case, and all the runs share the machine with the other
// families' runs, whose timing matters. There the cross-section is 1000 messages of 16 bytes
// (which conn echoes uncompressed, being under its threshold, and the broken peers compressed)
// under five sets of parameters: none, the peer's no_context_takeover, its window of 2^8 bytes,
// both, and the fallback list of 13.7. The runs of our stack add the suite's own
// no_context_takeover, everything limited, and three cases of 16 messages of 64 KiB that conn
// compresses: with context takeover, without, and with every parameter limited.
var (
	deflateCrossSectionPatterns     = []string{"12.*.1", "12.*.4", "12.*.9", "12.*.15", "13.*.1", "13.*.4", "13.*.9", "13.*.15"}
	raceDeflateCrossSectionPatterns = []string{"12.1.1", "13.2.1", "13.3.1", "13.6.1", "13.7.1"}
	raceDeflatePatterns             = []string{"12.1.1", "13.2.1", "13.3.1", "13.6.1", "13.7.1", "13.10.1", "13.12.1", "12.1.9", "13.6.9", "13.12.9"}
)

// selectCases returns the cases that patterns select.
func selectCases(patterns []string) []conform.Case {
	cases, err := conform.Select(conform.Cases(), patterns, nil)
	if err != nil {
		panic(err) // the patterns above are wrong
	}
	return cases
}

// deflateCases returns the compression cases the runs of our stack with compression on use.
func deflateCases() []conform.Case {
	if raceEnabled || testing.Short() {
		return selectCases(raceDeflatePatterns)
	}
	return selectCases([]string{"12", "13"})
}

// deflateCrossSection returns the compression cases the runs against other configurations and
// against the broken peers use: every group, with each kind of message.
func deflateCrossSection() []conform.Case {
	if raceEnabled || testing.Short() {
		return selectCases(raceDeflateCrossSectionPatterns)
	}
	return selectCases(deflateCrossSectionPatterns)
}

// serverDeflate and clientDeflate are the compression options of the runs: the defaults, as a
// user first writes them. The client's default offer holds client_max_window_bits without a
// value, as browsers' do, so that the cases that ask for the client's window can;
// clientDeflateExact offers only what is set, which leaves it out.
var (
	serverDeflate         = &conn.UpgradeOptions{Compression: &conn.CompressionOptions{}}
	serverDeflateTakeover = &conn.UpgradeOptions{Compression: &conn.CompressionOptions{ContextTakeover: true}}
	clientDeflate         = &conn.DialOptions{Compression: &conn.CompressionOptions{}}
	clientDeflateExact    = &conn.DialOptions{Compression: &conn.CompressionOptions{ExactOffer: true}}
)

// requireCompressionPass fails the test unless every case of report is OK, or INFORMATIONAL when
// informational says it may only be that.
func requireCompressionPass(t *testing.T, report *conform.Report, want int, informational func(id string) bool) {
	t.Helper()
	if len(report.Results) != want {
		t.Errorf("the report has %d results, want %d", len(report.Results), want)
	}
	for _, r := range report.Results {
		wantVerdict := conform.OK
		if informational(r.ID) {
			wantVerdict = conform.Informational
		}
		if r.Verdict != wantVerdict {
			t.Errorf("case %s: %s, want %s\n\t%s\n\tobserved: %s\n\tlog:\n\t\t%s",
				r.ID, r.Verdict, wantVerdict, r.Description, r.Observed, strings.Join(r.Log, "\n\t\t"))
		}
	}
	c := report.Counts()
	t.Logf("%s: %d cases: %d OK, %d NON-STRICT, %d INFORMATIONAL, %d FAILED in %v",
		report.Agent, c.Total, c.OK, c.NonStrict, c.Informational, c.Failed, report.Duration.Round(1e6))
}

func never(string) bool { return false }

func TestOurServerCompression(t *testing.T) {
	t.Parallel()
	startRuns()
	requireCompressionPass(t, runs.deflateServer.wait(t), len(deflateCases()), never)
}

func TestOurServerCompressionTakeover(t *testing.T) {
	t.Parallel()
	startRuns()
	requireCompressionPass(t, runs.deflateServerTakeover.wait(t), len(deflateCases()), never)
}

func TestOurClientCompression(t *testing.T) {
	t.Parallel()
	startRuns()
	requireCompressionPass(t, runs.deflateClient.wait(t), len(deflateCases()), never)
}

// TestOurClientCompressionExact runs conn.Dial with ExactOffer, which offers no
// client_max_window_bits. The groups that ask for the client's window (13.3, 13.5, 13.8, 13.9,
// 13.12) cannot, which RFC 7692 §7.1.2.2 leaves to the client: INFORMATIONAL. 13.7 falls back on
// its second choice, as it is meant to: OK.
func TestOurClientCompressionExact(t *testing.T) {
	t.Parallel()
	startRuns()
	windowAsked := func(id string) bool {
		group := id[:strings.LastIndex(id, ".")]
		return slices.Contains([]string{"13.3", "13.5", "13.8", "13.9", "13.12"}, group)
	}
	requireCompressionPass(t, runs.deflateClientExact.wait(t), len(deflateCrossSection()), windowAsked)
}
