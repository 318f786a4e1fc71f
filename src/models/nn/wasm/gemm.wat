;; The MLP matrix-product micro-kernel, WebAssembly SIMD (loaded by ../wasm-gemm.ts).
;; Imports a shared memory so worker threads run it on the same operands.
;; Build: node scripts/build-wasm.mjs (writes gemm.wasm.ts; a test checks it matches).
;; One (type) per function: the layout of the kernels' original encoder, kept so the bytes stay the same.
(module
  (type $t0 (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (import "env" "mem" (memory $mem 1 65536 shared))

  ;; C[0:m4, 0:n8] += A[0:m4, 0:k] * B[0:k, 0:n8] (float32; pointers and strides in bytes). B is packed
  ;; in panels of 8 columns (k x 8 floats each, contiguous). A[i, p] is at a_ptr + i lda + p a_step
  ;; (a_step = 4 for A itself, 4 * rows for A stored transposed).
  ;;
  ;; A 4 x 8 block of C lives in eight v128 accumulators (acc{r}_lo/hi: row r, columns 0-3 / 4-7)
  ;; while the block walks k: per step 2 vector loads of B, 4 splat loads of A, 8 multiply-adds of 4
  ;; lanes. No fused multiply-add (not in baseline SIMD), so every machine gets the same results.
  ;;
  ;; mode 0 adds the block to C (C += A B); mode 1 stores it (C = A B); mode 2 stores it plus the
  ;; row vector at bias_ptr (C = A B + bias, the dense layer's forward pass). Modes 1 and 2 add the
  ;; block to a zero or bias vector, the very operation mode 0 does on a C filled with zeros or
  ;; bias rows, so they give the same bits without that extra pass over C. Mode bit 4 (added to
  ;; these) says that the four rows of a block are adjacent floats (see the k loop).
  (func $gemm (export "gemm") (type $t0)
    (param $a_ptr i32) (param $lda i32) (param $b_ptr i32) (param $c_ptr i32) (param $ldc i32)
    (param $m4 i32) (param $n8 i32) (param $k i32) (param $a_step i32) (param $mode i32)
    (param $bias_ptr i32)
    (local $i i32) (local $jb i32) (local $a_row0 i32) (local $a_row1 i32)
    (local $a_row2 i32) (local $a_row3 i32) (local $q i32) (local $cp i32) (local $acc0_lo v128)
    (local $acc0_hi v128) (local $acc1_lo v128) (local $acc1_hi v128) (local $acc2_lo v128)
    (local $acc2_hi v128) (local $acc3_lo v128) (local $acc3_hi v128) (local $b_lo v128)
    (local $b_hi v128) (local $x v128) (local $base_lo v128) (local $base_hi v128) (local $q_end i32)
    (local.set $i (i32.const 0))
    (block $B0
      (loop $L1
        (br_if $B0 (i32.ge_u (local.get $i) (local.get $m4)))
        (local.set $jb (i32.const 0))
        (block $B2
          (loop $L3
            (br_if $B2 (i32.ge_u (local.get $jb) (local.get $n8)))
            (local.set $acc0_lo (v128.const i32x4 0 0 0 0))
            (local.set $acc0_hi (v128.const i32x4 0 0 0 0))
            (local.set $acc1_lo (v128.const i32x4 0 0 0 0))
            (local.set $acc1_hi (v128.const i32x4 0 0 0 0))
            (local.set $acc2_lo (v128.const i32x4 0 0 0 0))
            (local.set $acc2_hi (v128.const i32x4 0 0 0 0))
            (local.set $acc3_lo (v128.const i32x4 0 0 0 0))
            (local.set $acc3_hi (v128.const i32x4 0 0 0 0))
            (local.set $a_row0
              (i32.add (local.get $a_ptr) (i32.mul (local.get $i) (local.get $lda))))
            (local.set $a_row1 (i32.add (local.get $a_row0) (local.get $lda)))
            (local.set $a_row2 (i32.add (local.get $a_row1) (local.get $lda)))
            (local.set $a_row3 (i32.add (local.get $a_row2) (local.get $lda)))
            (local.set $q
              (i32.add
                (local.get $b_ptr)
                (i32.mul (i32.mul (local.get $jb) (local.get $k)) (i32.const 4))))
            ;; The k loop runs until q reaches the panel's end (k >= 1). With mode bit 4 the block's four
            ;; rows are adjacent floats (A stored transposed, or packed in 4-row panels by pack_at): one
            ;; pointer with immediate offsets reads them.
            (local.set $q_end (i32.add (local.get $q) (i32.shl (local.get $k) (i32.const 5))))
            (if (i32.and (local.get $mode) (i32.const 4))
              (then
                (loop $L5
                    (local.set $b_lo (v128.load (local.get $q)))
                    (local.set $b_hi (v128.load offset=16 (local.get $q)))
                    (local.set $x (v128.load32_splat (local.get $a_row0)))
                    (local.set $acc0_lo
                      (f32x4.add (local.get $acc0_lo) (f32x4.mul (local.get $x) (local.get $b_lo))))
                    (local.set $acc0_hi
                      (f32x4.add (local.get $acc0_hi) (f32x4.mul (local.get $x) (local.get $b_hi))))
                    (local.set $x (v128.load32_splat offset=4 (local.get $a_row0)))
                    (local.set $acc1_lo
                      (f32x4.add (local.get $acc1_lo) (f32x4.mul (local.get $x) (local.get $b_lo))))
                    (local.set $acc1_hi
                      (f32x4.add (local.get $acc1_hi) (f32x4.mul (local.get $x) (local.get $b_hi))))
                    (local.set $x (v128.load32_splat offset=8 (local.get $a_row0)))
                    (local.set $acc2_lo
                      (f32x4.add (local.get $acc2_lo) (f32x4.mul (local.get $x) (local.get $b_lo))))
                    (local.set $acc2_hi
                      (f32x4.add (local.get $acc2_hi) (f32x4.mul (local.get $x) (local.get $b_hi))))
                    (local.set $x (v128.load32_splat offset=12 (local.get $a_row0)))
                    (local.set $acc3_lo
                      (f32x4.add (local.get $acc3_lo) (f32x4.mul (local.get $x) (local.get $b_lo))))
                    (local.set $acc3_hi
                      (f32x4.add (local.get $acc3_hi) (f32x4.mul (local.get $x) (local.get $b_hi))))
                    (local.set $q (i32.add (local.get $q) (i32.const 32)))
                    (local.set $a_row0 (i32.add (local.get $a_row0) (local.get $a_step)))
                  (br_if $L5 (i32.lt_u (local.get $q) (local.get $q_end)))))
              (else
                (loop $L6
                    (local.set $b_lo (v128.load (local.get $q)))
                    (local.set $b_hi (v128.load offset=16 (local.get $q)))
                    (local.set $x (v128.load32_splat (local.get $a_row0)))
                    (local.set $acc0_lo
                      (f32x4.add (local.get $acc0_lo) (f32x4.mul (local.get $x) (local.get $b_lo))))
                    (local.set $acc0_hi
                      (f32x4.add (local.get $acc0_hi) (f32x4.mul (local.get $x) (local.get $b_hi))))
                    (local.set $x (v128.load32_splat (local.get $a_row1)))
                    (local.set $acc1_lo
                      (f32x4.add (local.get $acc1_lo) (f32x4.mul (local.get $x) (local.get $b_lo))))
                    (local.set $acc1_hi
                      (f32x4.add (local.get $acc1_hi) (f32x4.mul (local.get $x) (local.get $b_hi))))
                    (local.set $x (v128.load32_splat (local.get $a_row2)))
                    (local.set $acc2_lo
                      (f32x4.add (local.get $acc2_lo) (f32x4.mul (local.get $x) (local.get $b_lo))))
                    (local.set $acc2_hi
                      (f32x4.add (local.get $acc2_hi) (f32x4.mul (local.get $x) (local.get $b_hi))))
                    (local.set $x (v128.load32_splat (local.get $a_row3)))
                    (local.set $acc3_lo
                      (f32x4.add (local.get $acc3_lo) (f32x4.mul (local.get $x) (local.get $b_lo))))
                    (local.set $acc3_hi
                      (f32x4.add (local.get $acc3_hi) (f32x4.mul (local.get $x) (local.get $b_hi))))
                    (local.set $q (i32.add (local.get $q) (i32.const 32)))
                    (local.set $a_row0 (i32.add (local.get $a_row0) (local.get $a_step)))
                    (local.set $a_row1 (i32.add (local.get $a_row1) (local.get $a_step)))
                    (local.set $a_row2 (i32.add (local.get $a_row2) (local.get $a_step)))
                    (local.set $a_row3 (i32.add (local.get $a_row3) (local.get $a_step)))
                  (br_if $L6 (i32.lt_u (local.get $q) (local.get $q_end))))))
            (local.set $cp
              (i32.add
                (i32.add (local.get $c_ptr) (i32.mul (local.get $i) (local.get $ldc)))
                (i32.mul (local.get $jb) (i32.const 4))))
            (if (i32.eqz (i32.and (local.get $mode) (i32.const 3)))
              (then
                (v128.store
                  (local.get $cp)
                  (f32x4.add (v128.load (local.get $cp)) (local.get $acc0_lo)))
                (v128.store offset=16
                  (local.get $cp)
                  (f32x4.add (v128.load offset=16 (local.get $cp)) (local.get $acc0_hi)))
                (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                (v128.store
                  (local.get $cp)
                  (f32x4.add (v128.load (local.get $cp)) (local.get $acc1_lo)))
                (v128.store offset=16
                  (local.get $cp)
                  (f32x4.add (v128.load offset=16 (local.get $cp)) (local.get $acc1_hi)))
                (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                (v128.store
                  (local.get $cp)
                  (f32x4.add (v128.load (local.get $cp)) (local.get $acc2_lo)))
                (v128.store offset=16
                  (local.get $cp)
                  (f32x4.add (v128.load offset=16 (local.get $cp)) (local.get $acc2_hi)))
                (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                (v128.store
                  (local.get $cp)
                  (f32x4.add (v128.load (local.get $cp)) (local.get $acc3_lo)))
                (v128.store offset=16
                  (local.get $cp)
                  (f32x4.add (v128.load offset=16 (local.get $cp)) (local.get $acc3_hi))))
              (else
                (local.set $base_lo (v128.const i32x4 0 0 0 0))
                (local.set $base_hi (v128.const i32x4 0 0 0 0))
                (if (i32.eq (i32.and (local.get $mode) (i32.const 3)) (i32.const 2))
                  (then
                    (local.set $base_lo
                      (v128.load (i32.add (local.get $bias_ptr) (i32.shl (local.get $jb) (i32.const 2)))))
                    (local.set $base_hi
                      (v128.load offset=16
                        (i32.add (local.get $bias_ptr) (i32.shl (local.get $jb) (i32.const 2)))))))
                (v128.store (local.get $cp) (f32x4.add (local.get $base_lo) (local.get $acc0_lo)))
                (v128.store offset=16 (local.get $cp) (f32x4.add (local.get $base_hi) (local.get $acc0_hi)))
                (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                (v128.store (local.get $cp) (f32x4.add (local.get $base_lo) (local.get $acc1_lo)))
                (v128.store offset=16 (local.get $cp) (f32x4.add (local.get $base_hi) (local.get $acc1_hi)))
                (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                (v128.store (local.get $cp) (f32x4.add (local.get $base_lo) (local.get $acc2_lo)))
                (v128.store offset=16 (local.get $cp) (f32x4.add (local.get $base_hi) (local.get $acc2_hi)))
                (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                (v128.store (local.get $cp) (f32x4.add (local.get $base_lo) (local.get $acc3_lo)))
                (v128.store offset=16 (local.get $cp) (f32x4.add (local.get $base_hi) (local.get $acc3_hi)))))
            (local.set $jb (i32.add (local.get $jb) (i32.const 8)))
            (br $L3)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $L1)))))
