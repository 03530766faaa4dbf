#include "textflag.h"

// Eight of each: '"', '\\', and 0x20, for a signed 0x20 > b, which holds for b below 0x20 and for b
// at 0x80 and above. Both scans broadcast them from here.
DATA specials<>+0(SB)/8, $0x2222222222222222
DATA specials<>+8(SB)/8, $0x5c5c5c5c5c5c5c5c
DATA specials<>+16(SB)/8, $0x2020202020202020
GLOBL specials<>(SB), RODATA|NOPTR, $24

// func scanSSE2(p *byte, n int) int
TEXT ·scanSSE2(SB), NOSPLIT, $0-24
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ SI, DI
	LEAQ (SI)(CX*1), DX
	MOVQ       specials<>+0(SB), X1
	PUNPCKLQDQ X1, X1
	MOVQ       specials<>+8(SB), X2
	PUNPCKLQDQ X2, X2
	MOVQ       specials<>+16(SB), X3
	PUNPCKLQDQ X3, X3

loop:
	MOVOU    (SI), X0
	MOVOU    X0, X4
	PCMPEQB  X1, X4
	MOVOU    X0, X5
	PCMPEQB  X2, X5
	MOVOU    X3, X6
	PCMPGTB  X0, X6
	POR      X5, X4
	POR      X6, X4
	PMOVMSKB X4, AX
	TESTL    AX, AX
	JNZ      found
	ADDQ     $16, SI
	CMPQ     SI, DX
	JB       loop
	MOVQ     CX, ret+16(FP)
	RET

found:
	BSFL AX, AX
	SUBQ DI, SI
	ADDQ SI, AX
	MOVQ AX, ret+16(FP)
	RET

// func scanAVX2(p *byte, n int) int
// n is a positive multiple of 32. VZEROUPPER before returning: SSE code run with the upper halves
// of the YMM registers dirty pays a transition penalty on many Intel CPUs.
TEXT ·scanAVX2(SB), NOSPLIT, $0-24
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ SI, DI
	LEAQ (SI)(CX*1), DX
	VPBROADCASTQ specials<>+0(SB), Y1
	VPBROADCASTQ specials<>+8(SB), Y2
	VPBROADCASTQ specials<>+16(SB), Y3

avxloop:
	VMOVDQU   (SI), Y0
	VPCMPEQB  Y0, Y1, Y4
	VPCMPEQB  Y0, Y2, Y5
	VPCMPGTB  Y0, Y3, Y6
	VPOR      Y5, Y4, Y4
	VPOR      Y6, Y4, Y4
	VPMOVMSKB Y4, AX
	TESTL     AX, AX
	JNZ       avxfound
	ADDQ      $32, SI
	CMPQ      SI, DX
	JB        avxloop
	VZEROUPPER
	MOVQ      CX, ret+16(FP)
	RET

avxfound:
	VZEROUPPER
	BSFL AX, AX
	SUBQ DI, SI
	ADDQ SI, AX
	MOVQ AX, ret+16(FP)
	RET
