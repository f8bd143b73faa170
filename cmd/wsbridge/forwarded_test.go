package main

import (
	"bytes"
	"net"
	"net/netip"
	"strings"
	"testing"
)

// FuzzForwarded feeds a peer address and an X-Forwarded-For header to clientAddr, and the
// address it returns to proxyHeader. The peer is trusted only if it is in 127.0.0.0/8 or
// 10.0.0.0/8. An untrusted peer's header must be ignored; a trusted peer's may only yield
// one of the addresses it lists; and the PROXY line must be one line of the protocol's
// grammar (version 1: at most 107 bytes, ending in its only CRLF), whatever the header said,
// since the backend reads it before the client's bytes.
func FuzzForwarded(f *testing.F) {
	f.Add("127.0.0.1:4000", "198.51.100.1, 203.0.113.7")
	f.Add("127.0.0.1:4000", "10.1.2.3, 10.0.0.1")
	f.Add("192.0.2.1:4000", "203.0.113.7")
	f.Add("[::1]:4000", "[2001:db8::1]:5000")
	f.Add("[::ffff:127.0.0.1]:4000", "::ffff:192.0.2.9")
	f.Add("127.0.0.1:4000", "fe80::1%eth0")
	f.Add("not an address", "203.0.113.7")
	trusted := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.0.0.0/8")}
	backends := []net.Addr{
		&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1883},
		&net.TCPAddr{IP: net.IPv6loopback, Port: 1883},
	}
	f.Fuzz(func(t *testing.T, remote, forwarded string) {
		got := clientAddr(remote, []string{forwarded}, trusted)
		peer, err := netip.ParseAddrPort(remote)
		switch {
		case err != nil:
			if got.IsValid() {
				t.Fatalf("peer %q is no address, yet clientAddr returned %v", remote, got)
			}
		case !isTrusted(peer.Addr().Unmap(), trusted):
			if got.Addr() != peer.Addr().Unmap().WithZone("") || got.Port() != peer.Port() {
				t.Fatalf("untrusted peer %v: clientAddr returned %v from the header %q", peer, got, forwarded)
			}
		case got.Addr() != peer.Addr().Unmap().WithZone(""):
			listed := false
			for _, hop := range strings.Split(forwarded, ",") {
				a, ok := parseHop(strings.TrimSpace(hop))
				listed = listed || ok && a == got
			}
			if !listed {
				t.Fatalf("clientAddr returned %v, which the header %q does not list", got, forwarded)
			}
		}
		if got.Addr().Zone() != "" {
			t.Fatalf("clientAddr returned %v, with a zone that means nothing on this host", got)
		}
		for _, backend := range backends {
			line := proxyHeader(got, backend)
			if len(line) > 107 || !bytes.HasPrefix(line, []byte("PROXY ")) || bytes.Index(line, []byte("\r\n")) != len(line)-2 {
				t.Fatalf("PROXY line %q for client %v is not one line of version 1", line, got)
			}
			fields := strings.Fields(string(line))
			if fields[1] != "UNKNOWN" && len(fields) != 6 {
				t.Fatalf("PROXY line %q has %d fields, want 6", line, len(fields))
			}
		}
	})
}
