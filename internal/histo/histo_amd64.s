#include "textflag.h"

// func minMaxAVX2(values []float64) (lo, hi float64)
// len(values) is a positive multiple of 4.
TEXT ·minMaxAVX2(SB), NOSPLIT, $0-40
	MOVQ values_base+0(FP), SI
	MOVQ values_len+8(FP), CX
	VMOVUPD (SI), Y0 // lo
	VMOVAPD Y0, Y1   // hi
	ADDQ $32, SI
	SUBQ $4, CX
	// Two pairs of accumulators while at least 8 values remain.
	VMOVAPD Y0, Y2
	VMOVAPD Y0, Y3

loop8:
	CMPQ CX, $8
	JLT  loop4
	VMOVUPD (SI), Y4
	VMOVUPD 32(SI), Y5
	VMINPD  Y4, Y0, Y0
	VMAXPD  Y4, Y1, Y1
	VMINPD  Y5, Y2, Y2
	VMAXPD  Y5, Y3, Y3
	ADDQ    $64, SI
	SUBQ    $8, CX
	JMP     loop8

loop4:
	CMPQ CX, $4
	JLT  reduce
	VMOVUPD (SI), Y4
	VMINPD  Y4, Y0, Y0
	VMAXPD  Y4, Y1, Y1
	ADDQ    $32, SI
	SUBQ    $4, CX
	JMP     loop4

reduce:
	VMINPD       Y2, Y0, Y0
	VMAXPD       Y3, Y1, Y1
	VEXTRACTF128 $1, Y0, X2
	VEXTRACTF128 $1, Y1, X3
	VMINPD       X2, X0, X0
	VMAXPD       X3, X1, X1
	VPERMILPD    $1, X0, X2
	VPERMILPD    $1, X1, X3
	VMINSD       X2, X0, X0
	VMAXSD       X3, X1, X1
	VMOVSD       X0, lo+24(FP)
	VMOVSD       X1, hi+32(FP)
	VZEROUPPER
	RET

// func indexesAVX2(dst []int32, values []float64, lo, width float64, last int32) (sawNaN bool)
// len(values) is a positive multiple of 4 and len(dst) >= len(values).
TEXT ·indexesAVX2(SB), NOSPLIT, $0-73
	MOVQ         dst_base+0(FP), DI
	MOVQ         values_base+24(FP), SI
	MOVQ         values_len+32(FP), CX
	VBROADCASTSD lo+48(FP), Y1
	VBROADCASTSD width+56(FP), Y2
	MOVL         last+64(FP), AX
	VMOVD        AX, X3
	VPBROADCASTD X3, X3
	VPXOR        X6, X6, X6 // OR of all indexes: negative after a NaN

loop:
	VMOVUPD     (SI), Y4
	VSUBPD      Y1, Y4, Y4 // x - lo
	VDIVPD      Y2, Y4, Y4 // (x - lo) / width
	VCVTTPD2DQY Y4, X5     // truncate; NaN gives 0x80000000
	VPOR        X5, X6, X6
	VPMINSD     X3, X5, X5
	VMOVDQU     X5, (DI)
	ADDQ        $32, SI
	ADDQ        $16, DI
	SUBQ        $4, CX
	JNZ         loop

	VMOVMSKPS X6, AX
	TESTL     AX, AX
	SETNE     sawNaN+72(FP)
	VZEROUPPER
	RET
