package conn

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/rfc6455/ws/frame"
)

// Close runs the closing handshake (§7.1.2): it sends a close frame with code and reason (the
// reason is cut to 123 bytes), waits up to the close timeout for the peer's close frame, and
// closes the underlying connection. Code frame.CloseNoStatus sends a close frame without a code.
// When no other goroutine is reading, Close reads (and discards) what arrives before the peer's
// close frame itself; otherwise the reading goroutine sees the close frame and Close waits for it.
//
// Messages that arrive after Close is called are discarded. To keep receiving them until the
// peer's close frame, use CloseWrite instead and go on reading.
//
// Close is safe to call more than once and from any goroutine; after the first call it only
// makes sure the connection is closed.
func (c *Conn) Close(code frame.CloseCode, reason string) error {
	if err := checkSendableCode(code); err != nil {
		return err
	}
	err := c.sendClose(code, reason)
	if err == ErrCloseSent {
		err = nil
	}
	c.awaitPeerClose()
	c.closeTransport()
	return err
}

// CloseWrite starts the closing handshake and returns: it sends a close frame with code and
// reason, after which no more messages can be written (§5.5.1). The reading goroutine goes on
// receiving the messages the peer sent before it saw the close frame, and then the peer's close
// as a *CloseError, at which point the Conn closes the transport. If the peer's close frame has
// not arrived within the close timeout, the transport is closed anyway and reads fail with 1006.
//
// It is for an application whose reader runs in a goroutine of its own, like a terminal client
// that sends a close when its input ends and still prints the replies in flight.
func (c *Conn) CloseWrite(code frame.CloseCode, reason string) error {
	if err := checkSendableCode(code); err != nil {
		return err
	}
	err := c.sendClose(code, reason)
	if err == ErrCloseSent {
		return nil
	}
	time.AfterFunc(c.closeTimeout, func() { c.closeTransport() })
	return err
}

// checkSendableCode refuses codes that must not appear in a close frame.
func checkSendableCode(code frame.CloseCode) error {
	if code != frame.CloseNoStatus && !code.ValidOnWire() {
		// RFC 6455 §7.4: 1004–1006, 1015 and codes below 1000 must never be sent.
		return fmt.Errorf("conn: close code %d may not be sent (RFC 6455 §7.4)", uint16(code))
	}
	return nil
}

// CloseNow closes the underlying connection at once, without a closing handshake. The peer sees
// an abnormal closure (1006).
func (c *Conn) CloseNow() error {
	var err error
	c.closeOnce.Do(func() {
		err = c.nc.Close()
		c.signalClosed()
	})
	return err
}

// closedSignal returns a channel that is closed once the transport is closed.
func (c *Conn) closedSignal() <-chan struct{} {
	c.closedMu.Lock()
	defer c.closedMu.Unlock()
	if c.closed == nil {
		c.closed = make(chan struct{})
		if c.transportClosed {
			close(c.closed)
		}
	}
	return c.closed
}

// signalClosed records that the transport is closed and wakes whoever waits in closedSignal.
func (c *Conn) signalClosed() {
	c.closedMu.Lock()
	defer c.closedMu.Unlock()
	c.transportClosed = true
	if c.closed != nil {
		close(c.closed)
	}
}

// sendClose sends this side's close frame unless it was sent already (ErrCloseSent).
func (c *Conn) sendClose(code frame.CloseCode, reason string) error {
	// The close frame must go out within the close timeout. The write deadline is set before
	// waiting for the wire, so that it also ends the write of another goroutine stuck on a peer
	// that does not read, which would otherwise keep the close frame waiting for ever.
	c.nc.SetWriteDeadline(time.Now().Add(c.closeTimeout))
	c.lockWrite()
	defer c.unlockWrite()
	if c.closeSent {
		return ErrCloseSent
	}
	// Set again: a write of the Conn's own that held the wire meanwhile may have put the
	// application's deadline back (ownWrite).
	c.nc.SetWriteDeadline(time.Now().Add(c.closeTimeout))
	c.closeSent = true
	var payload [frame.MaxControlPayload]byte
	p := frame.AppendClose(payload[:0], code, reason)
	return c.writeControlLocked(frame.OpClose, p, true)
}

// awaitPeerClose waits, bounded by the close timeout, until the peer's close frame has been read
// or the connection has failed.
func (c *Conn) awaitPeerClose() {
	if c.readMu.TryLock() {
		defer c.readMu.Unlock()
		if c.readErr != nil {
			return
		}
		// RFC 6455 §7.1.2 and §1.4: after sending a close frame an endpoint keeps reading,
		// discarding data, until the peer's close frame arrives.
		c.setReadDeadline(time.Now().Add(c.closeTimeout))
		for c.readErr == nil {
			if c.inMessage {
				c.discardMessage()
			} else {
				c.messageSeq++
				c.nextDataFrame()
			}
		}
		return
	}
	// Another goroutine is reading: it will see the peer's close frame and close the transport.
	t := time.NewTimer(c.closeTimeout)
	defer t.Stop()
	select {
	case <-c.closedSignal():
	case <-t.C:
	}
}

// peerClosed handles the peer's close frame (§5.5.1, §7.1.5). The caller holds readMu.
func (c *Conn) peerClosed(code frame.CloseCode, reason string) error {
	c.readErr = &CloseError{Code: code, Reason: reason}
	// RFC 6455 §5.5.1: answer a close frame with a close frame, "typically echoing the status
	// code it received", unless this side already sent one.
	c.sendClose(code, "")
	if c.server {
		// RFC 6455 §7.1.1: the server closes the TCP connection first, so that it, not the
		// client, holds the TIME_WAIT state.
		c.closeTransport()
		return c.readErr
	}
	// RFC 6455 §7.1.1: the client waits for the server to close TCP, for a bounded time.
	c.setReadDeadline(time.Now().Add(c.closeTimeout))
	io.Copy(io.Discard, &c.br)
	c.closeTransport()
	return c.readErr
}

// fail fails the WebSocket connection (§7.1.7) after a protocol violation by the peer: it sends
// the close frame that err calls for and closes the transport. The caller holds readMu.
func (c *Conn) fail(err error) error {
	if c.readErr != nil {
		return c.readErr
	}
	c.readErr = err
	code, reason := frame.CloseProtocolError, ""
	var pe *frame.ProtocolError
	if errors.As(err, &pe) {
		code, reason = pe.Code, pe.Reason
	}
	c.sendClose(code, reason)
	c.lingerClose()
	return err
}

// lingerClose closes the transport after a failure without losing the close frame just sent:
// closing a socket that still has unread data makes TCP send a reset, which can destroy the
// frame before the peer reads it. So the write side is shut first, and what the peer still sends
// is drained, for at most the close timeout, in the background.
//
// A server's Conn over an HTTP/2 stream closes at once instead: there is no reset to fear, for
// the stream ends with END_STREAM after the frames written on it when its handler returns
// (RFC 8441 §6), and a drain in the background would use the ResponseWriter after the handler
// may have returned, which net/http forbids (and its HTTP/2 server punishes with a crash).
func (c *Conn) lingerClose() {
	if _, ok := c.nc.(*streamConn); ok {
		c.CloseNow()
		return
	}
	c.closeOnce.Do(func() {
		go func() {
			defer c.signalClosed()
			defer c.nc.Close()
			if cw, ok := c.nc.(interface{ CloseWrite() error }); ok {
				cw.CloseWrite()
			}
			c.nc.SetReadDeadline(time.Now().Add(c.closeTimeout))
			io.Copy(io.Discard, c.nc)
		}()
	})
}

// closeTransport closes the underlying connection once.
func (c *Conn) closeTransport() { c.CloseNow() }
