//go:build !linux

package main

// parker is the Linux one's stand-in, which parks nothing: each direction of a bridge keeps its
// goroutine, waiting in its read.
type parker struct{}

func newParker() *parker { return nil }

func (p *parker) park(s *side) bool { return false }

func (p *parker) forget(s *side) {}

func (p *parker) close() {}
