package main

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// clientAddr returns the address of the client behind a request from the TCP peer remoteAddr:
// the peer's, unless it is a trusted proxy, in which case the X-Forwarded-For fields forwarded
// are read from their end, each trusted hop giving
// way to the address before it (RFC 7239 §5.2 describes the same chain for Forwarded). A
// header from an untrusted peer is ignored: anyone can write one.
func clientAddr(remoteAddr string, forwarded []string, trusted []netip.Prefix) netip.AddrPort {
	peer, err := netip.ParseAddrPort(remoteAddr)
	if err != nil {
		return netip.AddrPort{}
	}
	// A link-local peer's zone names one of our interfaces: it is no part of the client's
	// address, and the PROXY line has no room for it.
	peer = netip.AddrPortFrom(peer.Addr().Unmap().WithZone(""), peer.Port())
	if !isTrusted(peer.Addr(), trusted) {
		return peer
	}
	hops := strings.Split(strings.Join(forwarded, ","), ",")
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		addr, ok := parseHop(strings.TrimSpace(hops[i]))
		if !ok {
			break
		}
		client = addr
		if !isTrusted(addr.Addr(), trusted) {
			break
		}
	}
	return client
}

// parseHop reads one X-Forwarded-For entry: an address, with a port or without (the port is
// then 0, unknown). An IPv6 address with a zone is refused: the zone names an interface of
// the host that wrote it, not a client, and netip takes any bytes for one, spaces and CRLF
// included, which would then reach the backend inside the PROXY line (found by
// FuzzForwarded).
func parseHop(s string) (netip.AddrPort, bool) {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		a, err := netip.ParseAddr(strings.Trim(s, "[]"))
		if err != nil {
			return netip.AddrPort{}, false
		}
		ap = netip.AddrPortFrom(a, 0)
	}
	if ap.Addr().Zone() != "" {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), true
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// proxyHeader returns the PROXY protocol version 1 line (HAProxy's PROXY protocol
// specification, §2.1) that tells the backend the connection comes from client, to the
// address the bridge reached the backend on, or "PROXY UNKNOWN" when the addresses are not
// both of one family.
func proxyHeader(client netip.AddrPort, backend net.Addr) []byte {
	dst, err := netip.ParseAddrPort(backend.String())
	if err != nil || !client.IsValid() {
		return []byte("PROXY UNKNOWN\r\n")
	}
	dst = netip.AddrPortFrom(dst.Addr().Unmap(), dst.Port())
	family := "TCP4"
	if client.Addr().Is6() {
		family = "TCP6"
	}
	if client.Addr().Is6() != dst.Addr().Is6() {
		return []byte("PROXY UNKNOWN\r\n")
	}
	return fmt.Appendf(nil, "PROXY %s %s %s %d %d\r\n", family, client.Addr(), dst.Addr(), client.Port(), dst.Port())
}
