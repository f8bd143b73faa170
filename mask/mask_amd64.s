//go:build amd64 && !purego

#include "textflag.h"

// Masking with vector registers (RFC 6455 §5.3).
//
// §5.3 XORs octet i of the payload with octet i MOD 4 of the masking key.
// The key repeats every 4 bytes, so a vector register holding the 4-byte
// key 8 times (AVX2, 32 bytes) or 4 times (SSE2, 16 bytes) masks a whole
// vector of payload with one XOR, as long as the vector starts at the key
// offset the register was built for. The Go side passes the key already
// rotated to the key offset of b[0] (rotatedKey), as a little-endian 32-bit
// word; a vector that starts s bytes into b needs it rotated right by
// 8*(s MOD 4) more bits, which RORL does before the word is broadcast.
//
// Both functions need len(b) >= one vector and work in three parts:
//
//  1. head and tail: the first vector of b and the last one are loaded and
//     masked into registers, but not stored yet;
//  2. body: whole vectors are masked in place, from the start of b, or,
//     when b is at least alignMin bytes long, from the first vector-aligned
//     address in b. Aligned stores never straddle a cache line, which
//     matters for a long payload at an odd address, as one unmasked in
//     place right after its frame header is (§5.2); for a short payload
//     the extra vector it costs is not worth it. The body loop masks four
//     vectors per iteration (128 bytes with AVX2, 64 with SSE2); the
//     remaining 0..3 whole vectors are done by straight-line code;
//  3. the head and the tail registers are stored. They cover the bytes
//     before the body (fewer than one vector) and after it (likewise).
//     Where they overlap the body, or each other, they hold the same
//     masked bytes the body stored, because every part was computed from
//     the original bytes before anything was stored over them.
//
// So there is no byte-at-a-time code at all, and nothing is read or
// written outside b.
//
// The key is moved into a vector register with VMOVD, not MOVL (MOVD):
// legacy SSE instructions after 256-bit AVX ones, with the upper halves
// of the Y registers in use, can cost a state transition; mixing them
// here made a call over ten times slower on the machine it was tuned on.

// alignMin is the payload length from which the body is aligned: the same
// threshold, for the same reason, as alignMin in mask.go.
#define alignMin 256

// func maskVector(b []byte, key uint32)
// Requires len(b) >= 32. useAVX2 is set once, at package initialization.
TEXT ·maskVector(SB), NOSPLIT, $0-28
	CMPB ·useAVX2(SB), $0
	JEQ  useSSE2
	JMP  ·maskAVX2(SB)        // same arguments, so a jump passes them on

useSSE2:
	JMP ·maskSSE2(SB)

// func maskAVX2(b []byte, key uint32)
// Requires len(b) >= 32 and a CPU and OS with AVX2 (useAVX2).
TEXT ·maskAVX2(SB), NOSPLIT, $0-28
	MOVQ b_base+0(FP), DI
	MOVQ b_len+8(FP), BX
	MOVL key+24(FP), AX
	LEAQ (DI)(BX*1), R8          // R8 = end of b

	// Head: b[0:32], at key offset 0 of the rotated key.
	VMOVD        AX, X0
	VPBROADCASTD X0, Y0
	VPXOR        (DI), Y0, Y1

	// Tail: b[n-32:n], at key offset (n-32) MOD 4 = n MOD 4.
	MOVL         AX, DX
	MOVQ         BX, CX
	ANDQ         $3, CX
	SHLQ         $3, CX
	RORL         CX, DX
	VMOVD        DX, X2
	VPBROADCASTD X2, Y2
	VPXOR        -32(R8), Y2, Y2

	// Body start: skip bytes in, where skip is 0 for a short payload and
	// (-address) MOD 32 for a long one, taking the body to the first
	// 32-byte aligned address in b.
	XORL CX, CX
	CMPQ BX, $alignMin
	JB   avx2Body
	MOVQ DI, CX
	NEGQ CX
	ANDQ $31, CX

avx2Body:
	LEAQ         (DI)(CX*1), SI  // SI = start of the body
	ANDQ         $3, CX
	SHLQ         $3, CX
	RORL         CX, AX          // key at offset skip MOD 4
	VMOVD        AX, X0
	VPBROADCASTD X0, Y0
	MOVQ         R8, DX
	SUBQ         SI, DX          // DX = bytes from SI to the end
	CMPQ         DX, $128
	JB           avx2Body64

avx2Body128:
	VPXOR   (SI), Y0, Y3
	VPXOR   32(SI), Y0, Y4
	VPXOR   64(SI), Y0, Y5
	VPXOR   96(SI), Y0, Y6
	VMOVDQU Y3, (SI)
	VMOVDQU Y4, 32(SI)
	VMOVDQU Y5, 64(SI)
	VMOVDQU Y6, 96(SI)
	ADDQ    $128, SI
	SUBQ    $128, DX
	CMPQ    DX, $128
	JAE     avx2Body128

avx2Body64:
	CMPQ    DX, $64
	JB      avx2Body32
	VPXOR   (SI), Y0, Y3
	VPXOR   32(SI), Y0, Y4
	VMOVDQU Y3, (SI)
	VMOVDQU Y4, 32(SI)
	ADDQ    $64, SI
	SUBQ    $64, DX

avx2Body32:
	CMPQ    DX, $32
	JB      avx2Done
	VPXOR   (SI), Y0, Y3
	VMOVDQU Y3, (SI)

avx2Done:
	// Fewer than 32 bytes are left after the body: the tail covers them.
	VMOVDQU Y1, (DI)
	VMOVDQU Y2, -32(R8)

	// Clear the upper halves of the Y registers, so that SSE code that
	// runs next (in Go or in the runtime) pays no AVX-SSE transition.
	VZEROUPPER
	RET

// func maskSSE2(b []byte, key uint32)
// Requires len(b) >= 16. SSE2 is part of every amd64 CPU.
TEXT ·maskSSE2(SB), NOSPLIT, $0-28
	MOVQ b_base+0(FP), DI
	MOVQ b_len+8(FP), BX
	MOVL key+24(FP), AX
	LEAQ (DI)(BX*1), R8          // R8 = end of b

	// Head: b[0:16], at key offset 0 of the rotated key.
	MOVL   AX, X0
	PSHUFL $0, X0, X0            // broadcast the low 32 bits
	MOVOU  (DI), X1
	PXOR   X0, X1

	// Tail: b[n-16:n], at key offset (n-16) MOD 4 = n MOD 4.
	MOVL   AX, DX
	MOVQ   BX, CX
	ANDQ   $3, CX
	SHLQ   $3, CX
	RORL   CX, DX
	MOVL   DX, X2
	PSHUFL $0, X2, X2
	MOVOU  -16(R8), X3
	PXOR   X3, X2

	// Body start: skip bytes in, 0 for a short payload and
	// (-address) MOD 16 for a long one.
	XORL CX, CX
	CMPQ BX, $alignMin
	JB   sse2Body
	MOVQ DI, CX
	NEGQ CX
	ANDQ $15, CX

sse2Body:
	LEAQ   (DI)(CX*1), SI        // SI = start of the body
	ANDQ   $3, CX
	SHLQ   $3, CX
	RORL   CX, AX                // key at offset skip MOD 4
	MOVL   AX, X0
	PSHUFL $0, X0, X0
	MOVQ   R8, DX
	SUBQ   SI, DX                // DX = bytes from SI to the end
	CMPQ   DX, $64
	JB     sse2Body32

sse2Body64:
	MOVOU (SI), X3
	MOVOU 16(SI), X4
	MOVOU 32(SI), X5
	MOVOU 48(SI), X6
	PXOR  X0, X3
	PXOR  X0, X4
	PXOR  X0, X5
	PXOR  X0, X6
	MOVOU X3, (SI)
	MOVOU X4, 16(SI)
	MOVOU X5, 32(SI)
	MOVOU X6, 48(SI)
	ADDQ  $64, SI
	SUBQ  $64, DX
	CMPQ  DX, $64
	JAE   sse2Body64

sse2Body32:
	CMPQ  DX, $32
	JB    sse2Body16
	MOVOU (SI), X3
	MOVOU 16(SI), X4
	PXOR  X0, X3
	PXOR  X0, X4
	MOVOU X3, (SI)
	MOVOU X4, 16(SI)
	ADDQ  $32, SI
	SUBQ  $32, DX

sse2Body16:
	CMPQ  DX, $16
	JB    sse2Done
	MOVOU (SI), X3
	PXOR  X0, X3
	MOVOU X3, (SI)

sse2Done:
	// Fewer than 16 bytes are left after the body: the tail covers them.
	MOVOU X1, (DI)
	MOVOU X2, -16(R8)
	RET
