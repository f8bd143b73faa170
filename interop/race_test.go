//go:build unix && race

package interop

// raceEnabled reports whether the tests run with the race detector; the commands under test are
// then built with it too, so a data race in conn under a real peer fails the test.
const raceEnabled = true
