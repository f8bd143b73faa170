//go:build race

package main

// raceEnabled reports a -race build, which enlarges every frame.
const raceEnabled = true
