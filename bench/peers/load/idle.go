package load

import (
	"context"
	"fmt"
	"time"
)

// IdleResult is the server memory that idle connections cost.
type IdleResult struct {
	Label string `json:"label,omitempty"`
	Conns int    `json:"conns"` // connections opened (and upgraded, unless raw)
	Raw   bool   `json:"raw,omitempty"`

	Compression string `json:"compression,omitempty"` // as in Result
	Extensions  string `json:"extensions,omitempty"`

	BaseKiB int64 `json:"base_kib"` // server RSS before connecting
	IdleKiB int64 `json:"idle_kib"` // with every connection open and idle
	EchoKiB int64 `json:"echo_kib"` // after one 1 KiB echo on each connection, idle again (compressed: JSON-like text)
	EndKiB  int64 `json:"end_kib"`  // after every connection closed

	IdlePerConnKiB float64 `json:"idle_per_conn_kib"` // (IdleKiB - BaseKiB) / Conns
	EchoPerConnKiB float64 `json:"echo_per_conn_kib"` // (EchoKiB - BaseKiB) / Conns

	Errors     int    `json:"errors"`
	FirstError string `json:"first_error,omitempty"`
	Start      time.Time
}

// String formats r as wsload prints it.
func (r IdleResult) String() string {
	echo := "a 1 KiB echo"
	if r.Compression != "" {
		echo = "a compressed 1 KiB text echo"
	}
	s := fmt.Sprintf("idle %d conns: %.2f KiB/conn idle, %.2f KiB/conn after %s (RSS %.1f → %.1f → %.1f → %.1f MiB)  errors %d",
		r.Conns, r.IdlePerConnKiB, r.EchoPerConnKiB, echo, float64(r.BaseKiB)/1024, float64(r.IdleKiB)/1024,
		float64(r.EchoKiB)/1024, float64(r.EndKiB)/1024, r.Errors)
	if r.FirstError != "" {
		s += "  first error: " + r.FirstError
	}
	return s
}

// Idle measures the server's resident memory per idle connection: it reads the server's RSS, opens
// n connections (with the opening handshake unless raw), waits o.Settle and reads it again; then
// echoes one 1 KiB binary message on every connection, waits o.Settle and reads it a third time;
// then closes them all with the close handshake. o.PID must name the server.
//
// With t.Compression the connections negotiate permessage-deflate and the 1 KiB message is
// compressed JSON-like text (TextPayload), so that the server inflates, validates and compresses
// it: a compressor that a connection keeps (context takeover) shows in the third reading.
func Idle(ctx context.Context, t Target, n int, o Options) IdleResult {
	o = o.withDefaults()
	res := IdleResult{Conns: n, Raw: t.Raw, Compression: t.Compression.String(), Start: time.Now()}
	fail := func(err error) {
		if err == nil {
			return
		}
		if res.Errors == 0 {
			res.FirstError = err.Error()
		}
		res.Errors++
	}
	rss := func() int64 {
		kib, err := RSS(o.PID)
		fail(err)
		return kib
	}
	if o.PID <= 0 {
		fail(fmt.Errorf("load: the idle test needs the server's PID"))
		return res
	}
	res.BaseKiB = rss()

	// A small read buffer: the generator holds n connections at once.
	clients, errs, closeH2 := dialAll(ctx, t, n, 4<<10, o.Timeout)
	defer closeH2()
	wf, extensions := agree(clients, errs)
	res.Extensions = extensions
	for _, err := range errs {
		fail(err)
	}
	time.Sleep(o.Settle)
	res.IdleKiB = rss()

	sc := Scenario{Conns: 1, InFlight: 1, Size: 1 << 10, Frags: 1, Text: t.Compression != NoCompression}
	msgs := buildMessages(sc, wf)
	echoErrs := make([]error, n)
	parallel(n, func(i int) {
		c := clients[i]
		if c == nil {
			return
		}
		c.nc.SetDeadline(time.Now().Add(o.Timeout))
		defer c.nc.SetDeadline(time.Time{})
		if _, err := c.nc.Write(msgs[0].wire); err != nil {
			echoErrs[i] = err
			return
		}
		echoErrs[i] = c.readEcho(&msgs[0])
	})
	for _, err := range echoErrs {
		fail(err)
	}
	time.Sleep(o.Settle)
	res.EchoKiB = rss()

	closeErrs := make([]error, n)
	parallel(n, func(i int) {
		if c := clients[i]; c != nil {
			closeErrs[i] = c.closeHandshake(o.Timeout)
		}
	})
	for _, err := range closeErrs {
		fail(err)
	}
	time.Sleep(o.Settle / 4)
	res.EndKiB = rss()

	res.IdlePerConnKiB = float64(res.IdleKiB-res.BaseKiB) / float64(n)
	res.EchoPerConnKiB = float64(res.EchoKiB-res.BaseKiB) / float64(n)
	return res
}
