//go:build race

package frame

// raceEnabled is true when the tests run with the race detector, which
// makes the portable validator about ten times slower; the longest UTF-8
// tests then take a smaller sample.
const raceEnabled = true
