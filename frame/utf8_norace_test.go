//go:build !race

package frame

// raceEnabled is true when the tests run with the race detector.
const raceEnabled = false
