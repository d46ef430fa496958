#include "textflag.h"

// func micro4x8AVX2(kb int, a []float64, ars, aks int, b []float64, bks int, c []float64, ldc int, acc bool)
//
// Y0..Y7 accumulate the tile, two registers of four columns per row:
// row i is Y(2i), Y(2i+1). Each step over k loads the eight values of b
// and broadcasts the four of a: A[i,k] at SI + i·R10 (R11 = 3·R10), the
// next k R12 bytes on; B[k,·] at DI, the next k R13 bytes on. kb ≥ 1.
TEXT ·micro4x8AVX2(SB), NOSPLIT, $0-113
	MOVQ kb+0(FP), CX
	MOVQ a_base+8(FP), SI
	MOVQ ars+32(FP), R10
	MOVQ aks+40(FP), R12
	MOVQ b_base+48(FP), DI
	MOVQ bks+72(FP), R13
	MOVQ c_base+80(FP), DX
	MOVQ ldc+104(FP), R8
	SHLQ $3, R10
	SHLQ $3, R12
	SHLQ $3, R13
	SHLQ $3, R8
	LEAQ (R10)(R10*2), R11
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7

loop2:
	CMPQ CX, $2
	JLT  loop1
	VMOVUPD      (DI), Y8
	VMOVUPD      32(DI), Y9
	VBROADCASTSD (SI), Y10
	VBROADCASTSD (SI)(R10*1), Y11
	VFMADD231PD  Y8, Y10, Y0
	VFMADD231PD  Y9, Y10, Y1
	VFMADD231PD  Y8, Y11, Y2
	VFMADD231PD  Y9, Y11, Y3
	VBROADCASTSD (SI)(R10*2), Y10
	VBROADCASTSD (SI)(R11*1), Y11
	VFMADD231PD  Y8, Y10, Y4
	VFMADD231PD  Y9, Y10, Y5
	VFMADD231PD  Y8, Y11, Y6
	VFMADD231PD  Y9, Y11, Y7
	ADDQ         R12, SI
	ADDQ         R13, DI
	VMOVUPD      (DI), Y12
	VMOVUPD      32(DI), Y13
	VBROADCASTSD (SI), Y14
	VBROADCASTSD (SI)(R10*1), Y15
	VFMADD231PD  Y12, Y14, Y0
	VFMADD231PD  Y13, Y14, Y1
	VFMADD231PD  Y12, Y15, Y2
	VFMADD231PD  Y13, Y15, Y3
	VBROADCASTSD (SI)(R10*2), Y14
	VBROADCASTSD (SI)(R11*1), Y15
	VFMADD231PD  Y12, Y14, Y4
	VFMADD231PD  Y13, Y14, Y5
	VFMADD231PD  Y12, Y15, Y6
	VFMADD231PD  Y13, Y15, Y7
	ADDQ         R12, SI
	ADDQ         R13, DI
	SUBQ         $2, CX
	JMP          loop2

loop1:
	TESTQ CX, CX
	JE    store
	VMOVUPD      (DI), Y8
	VMOVUPD      32(DI), Y9
	VBROADCASTSD (SI), Y10
	VBROADCASTSD (SI)(R10*1), Y11
	VFMADD231PD  Y8, Y10, Y0
	VFMADD231PD  Y9, Y10, Y1
	VFMADD231PD  Y8, Y11, Y2
	VFMADD231PD  Y9, Y11, Y3
	VBROADCASTSD (SI)(R10*2), Y10
	VBROADCASTSD (SI)(R11*1), Y11
	VFMADD231PD  Y8, Y10, Y4
	VFMADD231PD  Y9, Y10, Y5
	VFMADD231PD  Y8, Y11, Y6
	VFMADD231PD  Y9, Y11, Y7

store:
	MOVBLZX acc+112(FP), AX
	TESTL   AX, AX
	JE      put
	VADDPD  (DX), Y0, Y0
	VADDPD  32(DX), Y1, Y1
	VADDPD  (DX)(R8*1), Y2, Y2
	VADDPD  32(DX)(R8*1), Y3, Y3
	LEAQ    (DX)(R8*2), R9
	VADDPD  (R9), Y4, Y4
	VADDPD  32(R9), Y5, Y5
	VADDPD  (R9)(R8*1), Y6, Y6
	VADDPD  32(R9)(R8*1), Y7, Y7

put:
	VMOVUPD Y0, (DX)
	VMOVUPD Y1, 32(DX)
	VMOVUPD Y2, (DX)(R8*1)
	VMOVUPD Y3, 32(DX)(R8*1)
	LEAQ    (DX)(R8*2), R9
	VMOVUPD Y4, (R9)
	VMOVUPD Y5, 32(R9)
	VMOVUPD Y6, (R9)(R8*1)
	VMOVUPD Y7, 32(R9)(R8*1)
	VZEROUPPER
	RET

// func adamAVX2(theta, grad, m, v, u []float64, c *AdamConsts)
//
// Four values per iteration; the constants are broadcast once:
// Y15 β₁, Y14 1−β₁, Y13 β₂, Y12 1−β₂, Y11 Step, Y10 InvC2, Y9 Eps,
// Y8 L2, Y7 Decay.
TEXT ·adamAVX2(SB), NOSPLIT, $0-128
	MOVQ theta_base+0(FP), SI
	MOVQ theta_len+8(FP), CX
	MOVQ grad_base+24(FP), BX
	MOVQ m_base+48(FP), R8
	MOVQ v_base+72(FP), R9
	MOVQ u_base+96(FP), R10
	MOVQ c+120(FP), AX
	MOVQ         $1, R11
	CVTSQ2SD     R11, X0
	VBROADCASTSD X0, Y0
	VBROADCASTSD 0(AX), Y15
	VSUBPD       Y15, Y0, Y14
	VBROADCASTSD 8(AX), Y13
	VSUBPD       Y13, Y0, Y12
	VBROADCASTSD 16(AX), Y11
	VBROADCASTSD 24(AX), Y10
	VBROADCASTSD 32(AX), Y9
	VBROADCASTSD 40(AX), Y8
	VBROADCASTSD 48(AX), Y7
	XORQ         DX, DX

loop:
	VMOVUPD      (SI)(DX*8), Y0
	VMOVUPD      (BX)(DX*8), Y1
	VFMADD231PD  Y0, Y8, Y1
	VMULPD       (R8)(DX*8), Y15, Y2
	VFMADD231PD  Y1, Y14, Y2
	VMOVUPD      Y2, (R8)(DX*8)
	VMULPD       Y1, Y1, Y3
	VMULPD       (R9)(DX*8), Y13, Y4
	VFMADD231PD  Y3, Y12, Y4
	VMOVUPD      Y4, (R9)(DX*8)
	VMULPD       Y4, Y10, Y4
	VSQRTPD      Y4, Y4
	VADDPD       Y9, Y4, Y4
	VMULPD       Y2, Y11, Y2
	VDIVPD       Y4, Y2, Y2
	VFNMADD231PD Y0, Y7, Y2
	VMOVUPD      Y2, (R10)(DX*8)
	VADDPD       Y2, Y0, Y0
	VMOVUPD      Y0, (SI)(DX*8)
	ADDQ         $4, DX
	CMPQ         DX, CX
	JLT          loop
	VZEROUPPER
	RET

// func reluAVX2(y, x []float64)
//
// VMAXPD returns its memory operand when either is NaN: x, so NaN stays.
TEXT ·reluAVX2(SB), NOSPLIT, $0-48
	MOVQ   y_base+0(FP), DI
	MOVQ   x_base+24(FP), SI
	MOVQ   x_len+32(FP), CX
	VXORPD Y0, Y0, Y0
	XORQ   DX, DX

reluloop:
	VMAXPD  (SI)(DX*8), Y0, Y1
	VMOVUPD Y1, (DI)(DX*8)
	ADDQ    $4, DX
	CMPQ    DX, CX
	JLT     reluloop
	VZEROUPPER
	RET

// func reluGradAVX2(dx, dy, x []float64)
TEXT ·reluGradAVX2(SB), NOSPLIT, $0-72
	MOVQ   dx_base+0(FP), DI
	MOVQ   dy_base+24(FP), SI
	MOVQ   dy_len+32(FP), CX
	MOVQ   x_base+48(FP), BX
	VXORPD Y0, Y0, Y0
	XORQ   DX, DX

gradloop:
	VMOVUPD (BX)(DX*8), Y1
	VCMPPD  $0x1e, Y0, Y1, Y2 // x > 0, ordered: false for NaN
	VANDPD  (SI)(DX*8), Y2, Y3
	VMOVUPD Y3, (DI)(DX*8)
	ADDQ    $4, DX
	CMPQ    DX, CX
	JLT     gradloop
	VZEROUPPER
	RET
