//go:build race

package conn

// raceEnabled reports a -race build. The race detector makes sync.Pool drop a share of the buffers
// given back to it on purpose, so allocation counts mean nothing there.
const raceEnabled = true
