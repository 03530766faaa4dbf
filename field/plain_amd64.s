#include "textflag.h"

// func scanSSE2(p *byte, n int) int
TEXT ·scanSSE2(SB), NOSPLIT, $0-24
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ SI, DI
	LEAQ (SI)(CX*1), DX
	MOVQ $0x2222222222222222, AX // '"'
	MOVQ AX, X1
	PUNPCKLQDQ X1, X1
	MOVQ $0x5c5c5c5c5c5c5c5c, AX // '\\'
	MOVQ AX, X2
	PUNPCKLQDQ X2, X2
	MOVQ $0x2020202020202020, AX // signed, 0x20 > b holds for b < 0x20 and for b >= 0x80
	MOVQ AX, X3
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
	MOVQ $0x2222222222222222, AX // '"'
	MOVQ AX, X1
	VPBROADCASTQ X1, Y1
	MOVQ $0x5c5c5c5c5c5c5c5c, AX // '\\'
	MOVQ AX, X2
	VPBROADCASTQ X2, Y2
	MOVQ $0x2020202020202020, AX // signed, 0x20 > b holds for b < 0x20 and for b >= 0x80
	MOVQ AX, X3
	VPBROADCASTQ X3, Y3

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
