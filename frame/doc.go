// Package frame encodes and decodes the WebSocket framing layer of RFC 6455 §5
// and the small pieces of the protocol that are decided frame by frame.
//
// A WebSocket connection, once the opening handshake (§4) is done, is a
// sequence of frames. Each frame starts with a header of 2 to 14 bytes (§5.2):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-------+-+-------------+-------------------------------+
//	|F|R|R|R| opcode|M| Payload len |    Extended payload length    |
//	|I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
//	|N|V|V|V|       |S|             |   (if payload len==126/127)   |
//	| |1|2|3|       |K|             |                               |
//	+-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
//	|     Extended payload length continued, if payload len == 127  |
//	+ - - - - - - - - - - - - - - - +-------------------------------+
//	|                               |Masking-key, if MASK set to 1  |
//	+-------------------------------+-------------------------------+
//	| Masking-key (continued)       |          Payload Data         |
//	+-------------------------------- - - - - - - - - - - - - - - - +
//
// This package covers:
//
//   - [Header], [ParseHeader], [ReadHeader] and [AppendHeader]: the header
//     codec of §5.2, always writing the minimal length encoding.
//   - [Opcode]: the frame types of §5.2, split into data frames (§5.6) and
//     control frames (§5.5).
//   - [Header.Check] and [CheckSequence]: the receive-side rules that a single
//     header, or a header in the sequence of a fragmented message, must obey
//     (§5.1 masking, §5.2 reserved bits and opcodes, §5.4 fragmentation, §5.5
//     control frames). Violations are reported as [*ProtocolError] values that
//     carry the close code to fail the connection with (§7.1.7).
//   - [CloseCode], [ParseClose] and [AppendClose]: the body of a close frame
//     (§5.5.1) and the status codes that may appear in it (§7.4).
//   - [UTF8]: an incremental validator for text messages, which must be valid
//     UTF-8 even when they arrive in fragments (§5.6, §8.1): a DFA in
//     portable Go (utf8_dfa.go) and, on amd64 with AVX2, a vectorised check
//     of long pieces (utf8_amd64.s); -tags purego builds the portable code
//     only.
//
// The package does not mask or unmask payloads, keep connection state or do
// any I/O beyond reading a header; package conn builds on it for that. The
// hot paths — parsing, appending and checking headers, validating UTF-8 —
// allocate nothing.
package frame
