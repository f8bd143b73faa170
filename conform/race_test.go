//go:build race

package conform_test

// raceEnabled is true when the tests run under the race detector, which makes the largest
// messages of family 9 too slow to echo in a test.
const raceEnabled = true
