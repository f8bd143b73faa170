//go:build !linux

package park

// A Parker is the Linux one's stand-in: New returns nil, which parks nothing, and each
// connection keeps its goroutine, waiting in its read.
type Parker struct{}

// New returns nil: parking needs epoll.
func New() *Parker { return nil }

// Park reports false: nothing parks here.
func (p *Parker) Park(s *Spot) bool { return false }

// Forget does nothing.
func (p *Parker) Forget(s *Spot) {}

// Close does nothing.
func (p *Parker) Close() {}
