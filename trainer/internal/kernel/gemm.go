// Package kernel holds the trainer's matrix product: a single-threaded,
// allocation-free GEMM that packs its operands into panels and runs a
// 4×8 micro-kernel over them, in AVX2 with fused multiply-adds on amd64
// CPUs that have them and in Go elsewhere.
//
// gonum's Dgemm is as exact but splits large products over goroutines,
// and the small products of a training step (batch 32 by 64 by 128) gain
// nothing from that; a kernel of our own keeps a step on one core, free of
// allocations, and deterministic (the summation order depends on the
// sizes only).
package kernel

// The micro-kernel computes an mr×nr tile of C over a block of up to kc
// terms. It reads op(A) and op(B) where they are when their panels are
// strided slices of the operands (op(A) always, but for a short last
// panel; op(B) when it is B itself) and packs them otherwise.
const (
	mr = 4
	nr = 8
	kc = 256
)

// A Workspace holds the packed panels of the products it runs, grown to
// the largest seen, so that products allocate nothing once warm. The zero
// Workspace is ready to use; a Workspace is not safe for concurrent use.
type Workspace struct {
	a, b []float64
	tile [mr * nr]float64
}

func grow(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

// Gemm computes C = op(A)·op(B), or C += op(A)·op(B) when accumulate is
// set, for row-major matrices: op(X) is Xᵀ when the matching trans flag
// is set. op(A) is m×k, op(B) k×n, C m×n; lda, ldb and ldc are the row
// strides of A, B and C as stored. It panics if a slice is too short.
func (w *Workspace) Gemm(transA, transB bool, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, accumulate bool) {
	if m == 0 || n == 0 {
		return
	}
	rowsA, colsA := m, k
	if transA {
		rowsA, colsA = k, m
	}
	rowsB, colsB := k, n
	if transB {
		rowsB, colsB = n, k
	}
	if k > 0 && (len(a) < (rowsA-1)*lda+colsA || len(b) < (rowsB-1)*ldb+colsB) || len(c) < (m-1)*ldc+n {
		panic("kernel: Gemm: slice too short")
	}
	if k == 0 {
		if !accumulate {
			for i := range m {
				clear(c[i*ldc : i*ldc+n])
			}
		}
		return
	}
	for k0 := 0; k0 < k; k0 += kc {
		kb := min(kc, k-k0)
		acc := accumulate || k0 > 0
		for j0 := 0; j0 < n; j0 += nr {
			// A panel of nr columns of op(B): read in place when they
			// are contiguous rows of B, packed otherwise.
			var bp []float64
			bks := nr
			if !transB && j0+nr <= n {
				bp, bks = b[k0*ldb+j0:], ldb
			} else {
				w.b = grow(w.b, kb*nr)
				packB(w.b, b, ldb, transB, n, j0, k0, kb)
				bp = w.b
			}
			for i0 := 0; i0 < m; i0 += mr {
				// A panel of mr rows of op(A), in place unless it is
				// the last and short.
				var ap []float64
				ars, aks := 1, mr
				switch {
				case i0+mr > m:
					w.a = grow(w.a, kb*mr)
					packA(w.a, a, lda, transA, m, i0, k0, kb)
					ap = w.a
				case transA:
					ap, ars, aks = a[k0*lda+i0:], 1, lda
				default:
					ap, ars, aks = a[i0*lda+k0:], lda, 1
				}
				if i0+mr <= m && j0+nr <= n {
					micro(kb, ap, ars, aks, bp, bks, c[i0*ldc+j0:], ldc, acc)
					continue
				}
				// An edge tile: compute it whole, store what fits.
				micro(kb, ap, ars, aks, bp, bks, w.tile[:], nr, false)
				for i := range min(mr, m-i0) {
					row := c[(i0+i)*ldc+j0 : (i0+i)*ldc+min(j0+nr, n)]
					t := w.tile[i*nr:]
					if acc {
						for j := range row {
							row[j] += t[j]
						}
					} else {
						copy(row, t[:len(row)])
					}
				}
			}
		}
	}
}

// packA stores rows i0… of op(A), columns k0…k0+kb−1, as a panel of mr
// rows: for each k, the mr values, zero past row m.
func packA(dst, a []float64, lda int, trans bool, m, i0, k0, kb int) {
	for i := range mr {
		r := i0 + i
		for kk := range kb {
			v := 0.0
			switch {
			case r >= m:
			case trans:
				v = a[(k0+kk)*lda+r]
			default:
				v = a[r*lda+k0+kk]
			}
			dst[kk*mr+i] = v
		}
	}
}

// packB stores columns j0… of op(B), rows k0…k0+kb−1, as a panel of nr
// columns: for each k, the nr values, zero past column n.
func packB(dst, b []float64, ldb int, trans bool, n, j0, k0, kb int) {
	for j := range nr {
		col := j0 + j
		switch {
		case col >= n:
			for kk := range kb {
				dst[kk*nr+j] = 0
			}
		case trans:
			for kk, v := range b[col*ldb+k0 : col*ldb+k0+kb] {
				dst[kk*nr+j] = v
			}
		default:
			for kk := range kb {
				dst[kk*nr+j] = b[(k0+kk)*ldb+col]
			}
		}
	}
}

// microGo is the micro-kernel in Go: the mr×nr tile at c (row stride
// ldc) is set to, or with acc incremented by, Σₖ A[i,k]·B[k,j] over kb
// terms, A[i,k] at a[i·ars + k·aks] and B[k,j] at b[k·bks + j].
func microGo(kb int, a []float64, ars, aks int, b []float64, bks int, c []float64, ldc int, acc bool) {
	var t [mr * nr]float64
	for kk := range kb {
		bk := b[kk*bks : kk*bks+nr]
		for i := range mr {
			av := a[i*ars+kk*aks]
			ti := t[i*nr : i*nr+nr]
			for j, bv := range bk {
				ti[j] += av * bv
			}
		}
	}
	for i := range mr {
		row := c[i*ldc : i*ldc+nr]
		if acc {
			for j := range row {
				row[j] += t[i*nr+j]
			}
		} else {
			copy(row, t[i*nr:i*nr+nr])
		}
	}
}
