//go:build amd64 && !purego

#include "textflag.h"

// UTF-8 validation with AVX2 (RFC 6455 §8.1; Unicode Table 3-7, RFC 3629
// §4), after the lookup-table algorithm of Keiser and Lemire. The tables
// and the error bits are described in utf8_amd64.go.
//
// Each 32-byte block is checked together with the last 3 bytes of the
// block before it (zeros, which are ASCII, before the first block): for
// every byte of the block, prev1, prev2 and prev3 are the bytes 1, 2 and 3
// places before it. The block is valid when
//
//	FirstHigh[prev1>>4] & FirstLow[prev1&15] & SecondHigh[cur>>4]
//
// is zero in every byte except for bit 7 (utf8TwoConts), and bit 7 is set
// exactly in the bytes that must be a second continuation byte, those
// with prev2 >= E0 or prev3 >= F0. Errors are ORed into one register and
// tested once, at the end: a Write's verdict is all or nothing.
//
// A block that is all ASCII is valid by itself, so for it only the end of
// the block before is checked: that it does not end inside a code point
// (utf8LastMax).
//
// Register use:
//	Y0       the block being checked
//	Y1..Y4   temporaries
//	Y6       0x80 in every byte
//	Y7       where the block before ends inside a code point (non-zero bytes)
//	Y8       the block before
//	Y9       errors so far
//	Y10      0x70 in every byte: prev3 - 0x70 has bit 7 set iff prev3 >= F0
//	Y11      0x60 in every byte: prev2 - 0x60 has bit 7 set iff prev2 >= E0
//	Y12..Y14 the tables SecondHigh, FirstLow, FirstHigh in both lanes
//	Y15      0x0F in every byte

// CHECK_BLOCK ORs the errors of the block in Y0, after the block in Y8,
// into Y9, and then makes Y0 the block before (Y8, Y7) for the next one.
//
// AVX2 shifts bytes only within each 128-bit lane, so prevN is built from
// the block and a register holding the high lane of the block before and
// the low lane of this one (VPERM2I128), shifted together (VPALIGNR).
#define CHECK_BLOCK \
	VPERM2I128 $0x21, Y0, Y8, Y1 \
	VPALIGNR   $15, Y1, Y0, Y2   \ // prev1
	VPSRLW     $4, Y2, Y3        \
	VPAND      Y15, Y3, Y3       \
	VPSHUFB    Y3, Y14, Y3       \ // FirstHigh[prev1>>4]
	VPAND      Y15, Y2, Y2       \
	VPSHUFB    Y2, Y13, Y2       \ // FirstLow[prev1&15]
	VPAND      Y2, Y3, Y3        \
	VPSRLW     $4, Y0, Y2        \
	VPAND      Y15, Y2, Y2       \
	VPSHUFB    Y2, Y12, Y2       \ // SecondHigh[cur>>4]
	VPAND      Y2, Y3, Y3        \ // the pair errors, and utf8TwoConts
	VPALIGNR   $14, Y1, Y0, Y2   \ // prev2
	VPALIGNR   $13, Y1, Y0, Y4   \ // prev3
	VPSUBUSB   Y11, Y2, Y2       \
	VPSUBUSB   Y10, Y4, Y4       \
	VPOR       Y4, Y2, Y2        \
	VPAND      Y6, Y2, Y2        \ // bit 7: must be a second continuation byte
	VPXOR      Y2, Y3, Y3        \ // cleared where that is so and utf8TwoConts
	VPOR       Y3, Y9, Y9        \
	VPSUBUSB   ·utf8LastMax(SB), Y0, Y7 \
	VMOVDQU    Y0, Y8

// func utf8BlocksAVX2(blocks []byte, tail *[32]byte) bool
// Requires len(blocks) to be a multiple of 32, and AVX2 (useAVX2).
TEXT ·utf8BlocksAVX2(SB), NOSPLIT, $0-33
	MOVQ blocks_base+0(FP), SI
	MOVQ blocks_len+8(FP), DX
	MOVQ tail+24(FP), DI
	ADDQ SI, DX                   // DX = end of blocks

	MOVL           $0x0F0F0F0F, AX
	VMOVD          AX, X15
	VPBROADCASTD   X15, Y15
	MOVL           $0x80808080, AX
	VMOVD          AX, X6
	VPBROADCASTD   X6, Y6
	MOVL           $0x60606060, AX
	VMOVD          AX, X11
	VPBROADCASTD   X11, Y11
	MOVL           $0x70707070, AX
	VMOVD          AX, X10
	VPBROADCASTD   X10, Y10
	VBROADCASTI128 ·utf8FirstHigh(SB), Y14
	VBROADCASTI128 ·utf8FirstLow(SB), Y13
	VBROADCASTI128 ·utf8SecondHigh(SB), Y12
	VPXOR          Y9, Y9, Y9
	VPXOR          Y8, Y8, Y8
	VPXOR          Y7, Y7, Y7

loop:
	CMPQ      SI, DX
	JEQ       tail
	VMOVDQU   (SI), Y0
	ADDQ      $32, SI
	VPMOVMSKB Y0, AX
	TESTL     AX, AX
	JNZ       check

	// All ASCII: valid unless the block before ended inside a code point.
	// For the block after, ASCII before it is the same as zeros.
	VPOR  Y7, Y9, Y9
	VPXOR Y7, Y7, Y7
	VPXOR Y8, Y8, Y8

	// ASCII tends to come in runs: skip it 128 bytes at a time.
asciiRun:
	LEAQ      128(SI), AX
	CMPQ      AX, DX
	JA        loop
	VMOVDQU   (SI), Y1
	VPOR      32(SI), Y1, Y1
	VMOVDQU   64(SI), Y2
	VPOR      96(SI), Y2, Y2
	VPOR      Y1, Y2, Y2
	VPMOVMSKB Y2, AX
	TESTL     AX, AX
	JNZ       loop
	ADDQ      $128, SI
	JMP       asciiRun

check:
	CHECK_BLOCK
	JMP loop

tail:
	// The last bytes, padded with zeros: a code point that they leave
	// unfinished is followed by ASCII, which CHECK_BLOCK reports. The zeros
	// end the block too, so Y7 is zero after it.
	VMOVDQU (DI), Y0
	CHECK_BLOCK
	VPTEST  Y9, Y9
	SETEQ   ret+32(FP)

	// Clear the upper halves of the Y registers, so that SSE code that
	// runs next (in Go or in the runtime) pays no AVX-SSE transition.
	VZEROUPPER
	RET
