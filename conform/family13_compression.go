package conform

// Family 13: permessage-deflate (RFC 7692) with different parameters. The messages are those of
// group 12.1 (JSON, 18 sizes); each group negotiates other parameters. A group is told from the
// side of the endpoint under test (see deflateChoice): "the peer's max_window_bits=8" is
// server_max_window_bits=8 in the suite's offer to a server, and client_max_window_bits=8 in its
// answer to a client whose offer allows it, so that a group checks in both roles that the peer
// compresses within what it agreed to.
//
// Groups 13.1–13.7 are Autobahn's: context takeover and window bits 8 and 15 for the peer's
// compressor, and a list of three offers to fall back on. 13.8–13.12 go beyond: window bits 9,
// the suite's own no_context_takeover and window, and everything at once.

// parameterGroups are the groups of family 13, in order.
var parameterGroups = []struct {
	choices        []deflateChoice
	beyondAutobahn bool
}{
	{[]deflateChoice{{}}, false},                                                   // 13.1
	{[]deflateChoice{{peerNoContextTakeover: true}}, false},                        // 13.2
	{[]deflateChoice{{peerMaxWindowBits: 8}}, false},                               // 13.3
	{[]deflateChoice{{peerMaxWindowBits: 15}}, false},                              // 13.4
	{[]deflateChoice{{peerNoContextTakeover: true, peerMaxWindowBits: 8}}, false},  // 13.5
	{[]deflateChoice{{peerNoContextTakeover: true, peerMaxWindowBits: 15}}, false}, // 13.6
	{[]deflateChoice{ // 13.7
		{peerNoContextTakeover: true, peerMaxWindowBits: 8},
		{peerNoContextTakeover: true},
		{},
	}, false},
	{[]deflateChoice{{peerMaxWindowBits: 9}}, true},                              // 13.8
	{[]deflateChoice{{peerNoContextTakeover: true, peerMaxWindowBits: 9}}, true}, // 13.9
	{[]deflateChoice{{ownNoContextTakeover: true}}, true},                        // 13.10
	{[]deflateChoice{{ownMaxWindowBits: 8}}, true},                               // 13.11
	{[]deflateChoice{{ // 13.12
		peerNoContextTakeover: true, peerMaxWindowBits: 9,
		ownNoContextTakeover: true, ownMaxWindowBits: 9,
	}}, true},
}
