;; Element-wise SIMD kernels of the MLP (loaded by ../wasm-ops.ts), on the gemm kernel's shared memory.
;; Row-wise kernels need widths that are a multiple of 16 bytes; every pointer and width is in bytes.
;; Build: node scripts/build-wasm.mjs (writes ops.wasm.ts; a test checks it matches).
;; One (type) per function: the layout of the kernels' original encoder, kept so the bytes stay the same.
(module
  (type $t1 (func (param i32 i32 i32)))
  (type $t2 (func (param i32 i32 i32 i32)))
  (type $t3 (func (param i32 i32 i32 i32 i32 i32)))
  (type $t4 (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (type $t5 (func (param i32 i32 i32 i32 i32 i32 i32 i32)))
  (type $t6 (func (param i32 i32 i32 i32 i32)))
  (type $t7 (func (param i32 i32 i32 i32 i32 i32)))
  (type $t8 (func (param i32 i32 i32 i32)))
  (type $t9 (func (param i32 i32 i32 i32 i32)))
  (type $t10 (func (param i32 i32 i32 i32)))
  (type $t11 (func (param i32 i32 i32)))
  (type $t12 (func (param i32 i32 i32 i32)))
  (type $t13 (func (param i32 i32 i32 i32 i32 f32)))
  (type $t14 (func (param i32 i32 i32 i32 i32 i32)))
  (type $t15 (func (param i32 i32 i32 i32 i32 i32)))
  (type $t16 (func (param i32 i32 i32 i32 i32 f32 f32 f32 f32 f32 f32 f32 f32 f32)))
  (type $t17 (func (param i32 i32 i32 i32 i32 i32 i32 i32)))
  (type $t18 (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (type $t19 (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (type $t20 (func (param i32 i32 i32 i32 i32)))
  (import "env" "mem" (memory $mem 1 65536 shared))

  ;; relu(x, out, nb): out = x > 0 ? x : 0 (pmax: one maxps) over nb bytes.
  (func $relu (export "relu") (type $t1)
    (param $x i32) (param $out i32) (param $nb i32)
    (local $j i32)
    (local.set $j (i32.const 0))
    (block $B0
      (loop $L1
        (br_if $B0 (i32.ge_u (local.get $j) (local.get $nb)))
        (v128.store
          (i32.add (local.get $out) (local.get $j))
          (f32x4.pmax
            (v128.const i32x4 0 0 0 0)
            (v128.load (i32.add (local.get $x) (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $L1))))

  ;; relu_back(g, x, gi, nb): gi = x > 0 ? g : 0.
  (func $relu_back (export "relu_back") (type $t2)
    (param $g i32) (param $x i32) (param $gi i32) (param $nb i32)
    (local $j i32)
    (local.set $j (i32.const 0))
    (block $B0
      (loop $L1
        (br_if $B0 (i32.ge_u (local.get $j) (local.get $nb)))
        (v128.store
          (i32.add (local.get $gi) (local.get $j))
          (v128.and
            (v128.load (i32.add (local.get $g) (local.get $j)))
            (f32x4.gt
              (v128.load (i32.add (local.get $x) (local.get $j)))
              (v128.const i32x4 0 0 0 0))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $L1))))

  ;; affine_cols(x, out, rows, wb, scale, shift): out = x * scale + shift per column.
  (func $affine_cols (export "affine_cols") (type $t3)
    (param $x i32) (param $out i32) (param $rows i32) (param $wb i32) (param $scale i32)
    (param $shift i32)
    (local $j i32)
    (block $B0
      (loop $L1
        (br_if $B0 (i32.eqz (local.get $rows)))
        (local.set $j (i32.const 0))
        (block $B2
          (loop $L3
            (br_if $B2 (i32.ge_u (local.get $j) (local.get $wb)))
            (v128.store
              (i32.add (local.get $out) (local.get $j))
              (f32x4.add
                (f32x4.mul
                  (v128.load (i32.add (local.get $x) (local.get $j)))
                  (v128.load (i32.add (local.get $scale) (local.get $j))))
                (v128.load (i32.add (local.get $shift) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $L3)))
        (local.set $x (i32.add (local.get $x) (local.get $wb)))
        (local.set $out (i32.add (local.get $out) (local.get $wb)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $L1))))

  ;; bn_apply_train(x, xhat, out, rows, wb, hs, hsh, gamma, beta): xhat = x hs + hsh;
  ;; out = xhat gamma + beta, per column.
  (func $bn_apply_train (export "bn_apply_train") (type $t4)
    (param $x i32) (param $xhat i32) (param $out i32) (param $rows i32) (param $wb i32)
    (param $hs i32) (param $hsh i32) (param $gamma i32) (param $beta i32)
    (local $j i32) (local $h v128)
    (block $B0
      (loop $L1
        (br_if $B0 (i32.eqz (local.get $rows)))
        (local.set $j (i32.const 0))
        (block $B2
          (loop $L3
            (br_if $B2 (i32.ge_u (local.get $j) (local.get $wb)))
            (local.set $h
              (f32x4.add
                (f32x4.mul
                  (v128.load (i32.add (local.get $x) (local.get $j)))
                  (v128.load (i32.add (local.get $hs) (local.get $j))))
                (v128.load (i32.add (local.get $hsh) (local.get $j)))))
            (v128.store (i32.add (local.get $xhat) (local.get $j)) (local.get $h))
            (v128.store
              (i32.add (local.get $out) (local.get $j))
              (f32x4.add
                (f32x4.mul (local.get $h) (v128.load (i32.add (local.get $gamma) (local.get $j))))
                (v128.load (i32.add (local.get $beta) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $L3)))
        (local.set $x (i32.add (local.get $x) (local.get $wb)))
        (local.set $xhat (i32.add (local.get $xhat) (local.get $wb)))
        (local.set $out (i32.add (local.get $out) (local.get $wb)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $L1))))

  ;; bn_back_apply(g, xhat, gi, rows, wb, c1, c2, c3): gi = c1 g + c2 xhat + c3 per column.
  (func $bn_back_apply (export "bn_back_apply") (type $t5)
    (param $g i32) (param $xhat i32) (param $gi i32) (param $rows i32) (param $wb i32)
    (param $c1 i32) (param $c2 i32) (param $c3 i32)
    (local $j i32)
    (block $B0
      (loop $L1
        (br_if $B0 (i32.eqz (local.get $rows)))
        (local.set $j (i32.const 0))
        (block $B2
          (loop $L3
            (br_if $B2 (i32.ge_u (local.get $j) (local.get $wb)))
            (v128.store
              (i32.add (local.get $gi) (local.get $j))
              (f32x4.add
                (f32x4.add
                  (f32x4.mul
                    (v128.load (i32.add (local.get $c1) (local.get $j)))
                    (v128.load (i32.add (local.get $g) (local.get $j))))
                  (f32x4.mul
                    (v128.load (i32.add (local.get $c2) (local.get $j)))
                    (v128.load (i32.add (local.get $xhat) (local.get $j)))))
                (v128.load (i32.add (local.get $c3) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $L3)))
        (local.set $g (i32.add (local.get $g) (local.get $wb)))
        (local.set $xhat (i32.add (local.get $xhat) (local.get $wb)))
        (local.set $gi (i32.add (local.get $gi) (local.get $wb)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $L1))))

  ;; bn_stats(x, rows, wb, s1, s2): s1 += x - x[0], s2 += (x - x[0])^2 per column, accumulated in
  ;; float64 (two f64x2 per four floats: s1 and s2 hold 2 wb bytes).
  (func $bn_stats (export "bn_stats") (type $t6)
    (param $x i32) (param $rows i32) (param $wb i32) (param $s1 i32) (param $s2 i32)
    (local $j i32) (local $x0 i32) (local $a i32) (local $b i32) (local $dl v128) (local $dh v128)
    (local.set $x0 (local.get $x))
    (block $B0
      (loop $L1
        (br_if $B0 (i32.eqz (local.get $rows)))
        (local.set $j (i32.const 0))
        (block $B2
          (loop $L3
            (br_if $B2 (i32.ge_u (local.get $j) (local.get $wb)))
            (local.set $dl
              (f32x4.sub
                (v128.load (i32.add (local.get $x) (local.get $j)))
                (v128.load (i32.add (local.get $x0) (local.get $j)))))
            (local.set $dh
              (f64x2.promote_low_f32x4
                (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15
                  (local.get $dl)
                  (local.get $dl))))
            (local.set $dl (f64x2.promote_low_f32x4 (local.get $dl)))
            (local.set $a (i32.add (local.get $s1) (i32.shl (local.get $j) (i32.const 1))))
            (local.set $b (i32.add (local.get $s2) (i32.shl (local.get $j) (i32.const 1))))
            (v128.store (local.get $a) (f64x2.add (v128.load (local.get $a)) (local.get $dl)))
            (v128.store offset=16
              (local.get $a)
              (f64x2.add (v128.load offset=16 (local.get $a)) (local.get $dh)))
            (v128.store
              (local.get $b)
              (f64x2.add (v128.load (local.get $b)) (f64x2.mul (local.get $dl) (local.get $dl))))
            (v128.store offset=16
              (local.get $b)
              (f64x2.add
                (v128.load offset=16 (local.get $b))
                (f64x2.mul (local.get $dh) (local.get $dh))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $L3)))
        (local.set $x (i32.add (local.get $x) (local.get $wb)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $L1))))

  ;; bn_back_stats(g, xhat, rows, wb, gs, gxs): gs += g, gxs += g xhat per column, in float64.
  (func $bn_back_stats (export "bn_back_stats") (type $t7)
    (param $g i32) (param $xhat i32) (param $rows i32) (param $wb i32) (param $gs i32)
    (param $gxs i32)
    (local $j i32) (local $a i32) (local $b i32) (local $gl v128) (local $gh v128) (local $xv v128)
    (block $B0
      (loop $L1
        (br_if $B0 (i32.eqz (local.get $rows)))
        (local.set $j (i32.const 0))
        (block $B2
          (loop $L3
            (br_if $B2 (i32.ge_u (local.get $j) (local.get $wb)))
            (local.set $gl (v128.load (i32.add (local.get $g) (local.get $j))))
            (local.set $gh
              (f64x2.promote_low_f32x4
                (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15
                  (local.get $gl)
                  (local.get $gl))))
            (local.set $gl (f64x2.promote_low_f32x4 (local.get $gl)))
            (local.set $xv (v128.load (i32.add (local.get $xhat) (local.get $j))))
            (local.set $a (i32.add (local.get $gs) (i32.shl (local.get $j) (i32.const 1))))
            (local.set $b (i32.add (local.get $gxs) (i32.shl (local.get $j) (i32.const 1))))
            (v128.store (local.get $a) (f64x2.add (v128.load (local.get $a)) (local.get $gl)))
            (v128.store offset=16
              (local.get $a)
              (f64x2.add (v128.load offset=16 (local.get $a)) (local.get $gh)))
            (v128.store
              (local.get $b)
              (f64x2.add
                (v128.load (local.get $b))
                (f64x2.mul (local.get $gl) (f64x2.promote_low_f32x4 (local.get $xv)))))
            (v128.store offset=16
              (local.get $b)
              (f64x2.add
                (v128.load offset=16 (local.get $b))
                (f64x2.mul
                  (local.get $gh)
                  (f64x2.promote_low_f32x4
                    (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15
                      (local.get $xv)
                      (local.get $xv))))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $L3)))
        (local.set $g (i32.add (local.get $g) (local.get $wb)))
        (local.set $xhat (i32.add (local.get $xhat) (local.get $wb)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $L1))))

  ;; col_sums(g, rows, wb, out): out += g per column, in float64.
  (func $col_sums (export "col_sums") (type $t8)
    (param $g i32) (param $rows i32) (param $wb i32) (param $out i32)
    (local $j i32) (local $a i32) (local $gv v128)
    (block $B0
      (loop $L1
        (br_if $B0 (i32.eqz (local.get $rows)))
        (local.set $j (i32.const 0))
        (block $B2
          (loop $L3
            (br_if $B2 (i32.ge_u (local.get $j) (local.get $wb)))
            (local.set $gv (v128.load (i32.add (local.get $g) (local.get $j))))
            (local.set $a (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 1))))
            (v128.store
              (local.get $a)
              (f64x2.add (v128.load (local.get $a)) (f64x2.promote_low_f32x4 (local.get $gv))))
            (v128.store offset=16
              (local.get $a)
              (f64x2.add
                (v128.load offset=16 (local.get $a))
                (f64x2.promote_low_f32x4
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15
                    (local.get $gv)
                    (local.get $gv)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $L3)))
        (local.set $g (i32.add (local.get $g) (local.get $wb)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $L1))))

  ;; pack_b(src, ldb, dst, k, nb): panels of 8 columns (k x 8 floats) from a row-major k x n matrix
  ;; with row stride ldb bytes; nb = n * 4 bytes, n a multiple of 8.
  (func $pack_b (export "pack_b") (type $t9)
    (param $src i32) (param $ldb i32) (param $dst i32) (param $k i32) (param $nb i32)
    (local $jb i32) (local $q i32) (local $p i32)
    (local.set $jb (i32.const 0))
    (block $B0
      (loop $L1
        (br_if $B0 (i32.ge_u (local.get $jb) (local.get $nb)))
        (local.set $q (i32.add (local.get $src) (local.get $jb)))
        (local.set $p (local.get $k))
        (block $B2
          (loop $L3
            (br_if $B2 (i32.eqz (local.get $p)))
            (v128.store (local.get $dst) (v128.load (local.get $q)))
            (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $q)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
            (local.set $q (i32.add (local.get $q) (local.get $ldb)))
            (local.set $p (i32.sub (local.get $p) (i32.const 1)))
            (br $L3)))
        (local.set $jb (i32.add (local.get $jb) (i32.const 32)))
        (br $L1))))

  ;; pack_bt(src, kb, dst, n): panels of 8 columns of op(B) = B^T, B stored n x k (row stride kb
  ;; bytes, k a multiple of 4, n of 8): the 8 rows r0..r7 are read 4 floats at a time and each 4 x 4
  ;; block is transposed in registers by lane shuffles (ab_lo/ab_hi: interleaves of rows 0, 1; cd_lo/
  ;; cd_hi: of rows 2, 3).
  (func $pack_bt (export "pack_bt") (type $t10)
    (param $src i32) (param $kb i32) (param $dst i32) (param $n i32)
    (local $jb i32) (local $p i32) (local $row i32) (local $r0 v128) (local $r1 v128)
    (local $r2 v128) (local $r3 v128) (local $r4 v128) (local $r5 v128) (local $r6 v128)
    (local $r7 v128) (local $ab_lo v128) (local $ab_hi v128) (local $cd_lo v128) (local $cd_hi v128)
    (local.set $jb (i32.const 0))
    (block $B0
      (loop $L1
        (br_if $B0 (i32.ge_u (local.get $jb) (local.get $n)))
        (local.set $p (i32.const 0))
        (block $B2
          (loop $L3
            (br_if $B2 (i32.ge_u (local.get $p) (local.get $kb)))
            (local.set $row (i32.add (local.get $src) (i32.mul (local.get $jb) (local.get $kb))))
            (local.set $r0 (v128.load (i32.add (local.get $row) (local.get $p))))
            (local.set $row (i32.add (local.get $row) (local.get $kb)))
            (local.set $r1 (v128.load (i32.add (local.get $row) (local.get $p))))
            (local.set $row (i32.add (local.get $row) (local.get $kb)))
            (local.set $r2 (v128.load (i32.add (local.get $row) (local.get $p))))
            (local.set $row (i32.add (local.get $row) (local.get $kb)))
            (local.set $r3 (v128.load (i32.add (local.get $row) (local.get $p))))
            (local.set $row (i32.add (local.get $row) (local.get $kb)))
            (local.set $r4 (v128.load (i32.add (local.get $row) (local.get $p))))
            (local.set $row (i32.add (local.get $row) (local.get $kb)))
            (local.set $r5 (v128.load (i32.add (local.get $row) (local.get $p))))
            (local.set $row (i32.add (local.get $row) (local.get $kb)))
            (local.set $r6 (v128.load (i32.add (local.get $row) (local.get $p))))
            (local.set $row (i32.add (local.get $row) (local.get $kb)))
            (local.set $r7 (v128.load (i32.add (local.get $row) (local.get $p))))
            (local.set $ab_lo
              (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23
                (local.get $r0)
                (local.get $r1)))
            (local.set $ab_hi
              (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31
                (local.get $r0)
                (local.get $r1)))
            (local.set $cd_lo
              (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23
                (local.get $r2)
                (local.get $r3)))
            (local.set $cd_hi
              (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31
                (local.get $r2)
                (local.get $r3)))
            (v128.store
              (local.get $dst)
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
                (local.get $ab_lo)
                (local.get $cd_lo)))
            (v128.store offset=32
              (local.get $dst)
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31
                (local.get $ab_lo)
                (local.get $cd_lo)))
            (v128.store offset=64
              (local.get $dst)
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
                (local.get $ab_hi)
                (local.get $cd_hi)))
            (v128.store offset=96
              (local.get $dst)
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31
                (local.get $ab_hi)
                (local.get $cd_hi)))
            (local.set $ab_lo
              (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23
                (local.get $r4)
                (local.get $r5)))
            (local.set $ab_hi
              (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31
                (local.get $r4)
                (local.get $r5)))
            (local.set $cd_lo
              (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23
                (local.get $r6)
                (local.get $r7)))
            (local.set $cd_hi
              (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31
                (local.get $r6)
                (local.get $r7)))
            (v128.store offset=16
              (local.get $dst)
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
                (local.get $ab_lo)
                (local.get $cd_lo)))
            (v128.store offset=48
              (local.get $dst)
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31
                (local.get $ab_lo)
                (local.get $cd_lo)))
            (v128.store offset=80
              (local.get $dst)
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
                (local.get $ab_hi)
                (local.get $cd_hi)))
            (v128.store offset=112
              (local.get $dst)
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31
                (local.get $ab_hi)
                (local.get $cd_hi)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 128)))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (br $L3)))
        (local.set $jb (i32.add (local.get $jb) (i32.const 8)))
        (br $L1))))

  ;; gelu(x, out, nb): out = x Phi(x) = x (1 + erf(x / sqrt 2)) / 2.
  ;; erf: Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), the formula of the JavaScript path, with
  ;; e^(-a^2) by Cephes expf: clamp at -87, x = n ln2 + r (ln2 in two parts), a degree-6 polynomial
  ;; for e^r, and 2^n built in the exponent bits ((n + 127) << 23). The sign of z is put back with
  ;; bitselect on the sign bit.
  (func $gelu (export "gelu") (type $t11)
    (param $x i32) (param $out i32) (param $nb i32)
    (local $j i32) (local $v v128) (local $e v128) (local $a v128) (local $t v128) (local $n v128)
    (local $r v128)
    (local.set $j (i32.const 0))
    (block $B0
      (loop $L1
        (br_if $B0 (i32.ge_u (local.get $j) (local.get $nb)))
        (local.set $v (v128.load (i32.add (local.get $x) (local.get $j))))
        (local.set $e
          (f32x4.mul (local.get $v) (v128.const f32x4 0.70710677 0.70710677 0.70710677 0.70710677)))
        (local.set $a (f32x4.abs (local.get $e)))
        (local.set $t
          (f32x4.div
            (v128.const f32x4 1 1 1 1)
            (f32x4.add
              (v128.const f32x4 1 1 1 1)
              (f32x4.mul (v128.const f32x4 0.3275911 0.3275911 0.3275911 0.3275911) (local.get $a)))))
        (local.set $a
          (f32x4.mul (f32x4.mul (local.get $a) (local.get $a)) (v128.const f32x4 -1 -1 -1 -1)))
        (local.set $r (f32x4.pmax (v128.const f32x4 -87 -87 -87 -87) (local.get $a)))
        (local.set $n
          (f32x4.nearest
            (f32x4.mul (local.get $r) (v128.const f32x4 1.442695 1.442695 1.442695 1.442695))))
        (local.set $r
          (f32x4.sub
            (f32x4.sub
              (local.get $r)
              (f32x4.mul (local.get $n) (v128.const f32x4 0.6933594 0.6933594 0.6933594 0.6933594)))
            (f32x4.mul
              (local.get $n)
              (v128.const f32x4 -0.00021219444 -0.00021219444 -0.00021219444 -0.00021219444))))
        (local.set $a
          (f32x4.mul
            (f32x4.add
              (f32x4.add
                (f32x4.mul
                  (f32x4.mul
                    (f32x4.add
                      (f32x4.mul
                        (f32x4.add
                          (f32x4.mul
                            (f32x4.add
                              (f32x4.mul
                                (f32x4.add
                                  (f32x4.mul
                                    (f32x4.add
                                      (f32x4.mul
                                        (v128.const f32x4 0.00019875691 0.00019875691 0.00019875691 0.00019875691)
                                        (local.get $r))
                                      (v128.const f32x4 0.0013981999 0.0013981999 0.0013981999 0.0013981999))
                                    (local.get $r))
                                  (v128.const f32x4 0.008333452 0.008333452 0.008333452 0.008333452))
                                (local.get $r))
                              (v128.const f32x4 0.041665796 0.041665796 0.041665796 0.041665796))
                            (local.get $r))
                          (v128.const f32x4 0.16666666 0.16666666 0.16666666 0.16666666))
                        (local.get $r))
                      (v128.const f32x4 0.5 0.5 0.5 0.5))
                    (local.get $r))
                  (local.get $r))
                (local.get $r))
              (v128.const f32x4 1 1 1 1))
            (i32x4.shl
              (i32x4.add
                (i32x4.trunc_sat_f32x4_s (local.get $n))
                (v128.const i32x4 127 127 127 127))
              (i32.const 23))))
        (local.set $e
          (v128.bitselect
            (local.get $e)
            (f32x4.sub
              (v128.const f32x4 1 1 1 1)
              (f32x4.mul
                (f32x4.mul
                  (f32x4.add
                    (f32x4.mul
                      (f32x4.add
                        (f32x4.mul
                          (f32x4.add
                            (f32x4.mul
                              (f32x4.add
                                (f32x4.mul
                                  (v128.const f32x4 1.0614054 1.0614054 1.0614054 1.0614054)
                                  (local.get $t))
                                (v128.const f32x4 -1.4531521 -1.4531521 -1.4531521 -1.4531521))
                              (local.get $t))
                            (v128.const f32x4 1.4214138 1.4214138 1.4214138 1.4214138))
                          (local.get $t))
                        (v128.const f32x4 -0.28449672 -0.28449672 -0.28449672 -0.28449672))
                      (local.get $t))
                    (v128.const f32x4 0.2548296 0.2548296 0.2548296 0.2548296))
                  (local.get $t))
                (local.get $a)))
            (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000)))
        (v128.store
          (i32.add (local.get $out) (local.get $j))
          (f32x4.mul
            (f32x4.mul (f32x4.add (local.get $e) (v128.const f32x4 1 1 1 1)) (local.get $v))
            (v128.const f32x4 0.5 0.5 0.5 0.5)))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $L1))))

  ;; gelu_back(g, x, gi, nb): gi = g (Phi(x) + x phi(x)), phi(x) = e^(-x^2 / 2) / sqrt(2 pi); erf and
  ;; exp as in gelu.
  (func $gelu_back (export "gelu_back") (type $t12)
    (param $g i32) (param $x i32) (param $gi i32) (param $nb i32)
    (local $j i32) (local $v v128) (local $cdf v128) (local $pdf v128) (local $a v128)
    (local $t v128) (local $n v128) (local $r v128)
    (local.set $j (i32.const 0))
    (block $B0
      (loop $L1
        (br_if $B0 (i32.ge_u (local.get $j) (local.get $nb)))
        (local.set $v (v128.load (i32.add (local.get $x) (local.get $j))))
        (local.set $cdf
          (f32x4.mul (local.get $v) (v128.const f32x4 0.70710677 0.70710677 0.70710677 0.70710677)))
        (local.set $a (f32x4.abs (local.get $cdf)))
        (local.set $t
          (f32x4.div
            (v128.const f32x4 1 1 1 1)
            (f32x4.add
              (v128.const f32x4 1 1 1 1)
              (f32x4.mul (v128.const f32x4 0.3275911 0.3275911 0.3275911 0.3275911) (local.get $a)))))
        (local.set $a
          (f32x4.mul (f32x4.mul (local.get $a) (local.get $a)) (v128.const f32x4 -1 -1 -1 -1)))
        (local.set $r (f32x4.pmax (v128.const f32x4 -87 -87 -87 -87) (local.get $a)))
        (local.set $n
          (f32x4.nearest
            (f32x4.mul (local.get $r) (v128.const f32x4 1.442695 1.442695 1.442695 1.442695))))
        (local.set $r
          (f32x4.sub
            (f32x4.sub
              (local.get $r)
              (f32x4.mul (local.get $n) (v128.const f32x4 0.6933594 0.6933594 0.6933594 0.6933594)))
            (f32x4.mul
              (local.get $n)
              (v128.const f32x4 -0.00021219444 -0.00021219444 -0.00021219444 -0.00021219444))))
        (local.set $a
          (f32x4.mul
            (f32x4.add
              (f32x4.add
                (f32x4.mul
                  (f32x4.mul
                    (f32x4.add
                      (f32x4.mul
                        (f32x4.add
                          (f32x4.mul
                            (f32x4.add
                              (f32x4.mul
                                (f32x4.add
                                  (f32x4.mul
                                    (f32x4.add
                                      (f32x4.mul
                                        (v128.const f32x4 0.00019875691 0.00019875691 0.00019875691 0.00019875691)
                                        (local.get $r))
                                      (v128.const f32x4 0.0013981999 0.0013981999 0.0013981999 0.0013981999))
                                    (local.get $r))
                                  (v128.const f32x4 0.008333452 0.008333452 0.008333452 0.008333452))
                                (local.get $r))
                              (v128.const f32x4 0.041665796 0.041665796 0.041665796 0.041665796))
                            (local.get $r))
                          (v128.const f32x4 0.16666666 0.16666666 0.16666666 0.16666666))
                        (local.get $r))
                      (v128.const f32x4 0.5 0.5 0.5 0.5))
                    (local.get $r))
                  (local.get $r))
                (local.get $r))
              (v128.const f32x4 1 1 1 1))
            (i32x4.shl
              (i32x4.add
                (i32x4.trunc_sat_f32x4_s (local.get $n))
                (v128.const i32x4 127 127 127 127))
              (i32.const 23))))
        (local.set $cdf
          (v128.bitselect
            (local.get $cdf)
            (f32x4.sub
              (v128.const f32x4 1 1 1 1)
              (f32x4.mul
                (f32x4.mul
                  (f32x4.add
                    (f32x4.mul
                      (f32x4.add
                        (f32x4.mul
                          (f32x4.add
                            (f32x4.mul
                              (f32x4.add
                                (f32x4.mul
                                  (v128.const f32x4 1.0614054 1.0614054 1.0614054 1.0614054)
                                  (local.get $t))
                                (v128.const f32x4 -1.4531521 -1.4531521 -1.4531521 -1.4531521))
                              (local.get $t))
                            (v128.const f32x4 1.4214138 1.4214138 1.4214138 1.4214138))
                          (local.get $t))
                        (v128.const f32x4 -0.28449672 -0.28449672 -0.28449672 -0.28449672))
                      (local.get $t))
                    (v128.const f32x4 0.2548296 0.2548296 0.2548296 0.2548296))
                  (local.get $t))
                (local.get $a)))
            (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000)))
        (local.set $pdf
          (f32x4.mul
            (f32x4.mul (local.get $v) (local.get $v))
            (v128.const f32x4 -0.5 -0.5 -0.5 -0.5)))
        (local.set $r (f32x4.pmax (v128.const f32x4 -87 -87 -87 -87) (local.get $pdf)))
        (local.set $n
          (f32x4.nearest
            (f32x4.mul (local.get $r) (v128.const f32x4 1.442695 1.442695 1.442695 1.442695))))
        (local.set $r
          (f32x4.sub
            (f32x4.sub
              (local.get $r)
              (f32x4.mul (local.get $n) (v128.const f32x4 0.6933594 0.6933594 0.6933594 0.6933594)))
            (f32x4.mul
              (local.get $n)
              (v128.const f32x4 -0.00021219444 -0.00021219444 -0.00021219444 -0.00021219444))))
        (local.set $pdf
          (f32x4.mul
            (f32x4.add
              (f32x4.add
                (f32x4.mul
                  (f32x4.mul
                    (f32x4.add
                      (f32x4.mul
                        (f32x4.add
                          (f32x4.mul
                            (f32x4.add
                              (f32x4.mul
                                (f32x4.add
                                  (f32x4.mul
                                    (f32x4.add
                                      (f32x4.mul
                                        (v128.const f32x4 0.00019875691 0.00019875691 0.00019875691 0.00019875691)
                                        (local.get $r))
                                      (v128.const f32x4 0.0013981999 0.0013981999 0.0013981999 0.0013981999))
                                    (local.get $r))
                                  (v128.const f32x4 0.008333452 0.008333452 0.008333452 0.008333452))
                                (local.get $r))
                              (v128.const f32x4 0.041665796 0.041665796 0.041665796 0.041665796))
                            (local.get $r))
                          (v128.const f32x4 0.16666666 0.16666666 0.16666666 0.16666666))
                        (local.get $r))
                      (v128.const f32x4 0.5 0.5 0.5 0.5))
                    (local.get $r))
                  (local.get $r))
                (local.get $r))
              (v128.const f32x4 1 1 1 1))
            (i32x4.shl
              (i32x4.add
                (i32x4.trunc_sat_f32x4_s (local.get $n))
                (v128.const i32x4 127 127 127 127))
              (i32.const 23))))
        (v128.store
          (i32.add (local.get $gi) (local.get $j))
          (f32x4.mul
            (v128.load (i32.add (local.get $g) (local.get $j)))
            (f32x4.add
              (f32x4.mul
                (f32x4.add (local.get $cdf) (v128.const f32x4 1 1 1 1))
                (v128.const f32x4 0.5 0.5 0.5 0.5))
              (f32x4.mul
                (f32x4.mul (local.get $v) (local.get $pdf))
                (v128.const f32x4 0.3989423 0.3989423 0.3989423 0.3989423)))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $L1))))

  ;; dropout(x, draws, out, nb, thr; scale): out = draws >= thr (unsigned) ? x scale : 0.
  (func $dropout (export "dropout") (type $t13)
    (param $x i32) (param $draws i32) (param $out i32) (param $nb i32) (param $thr i32)
    (param $scale f32)
    (local $j i32) (local $thr4 v128) (local $scale4 v128)
    (local.set $thr4 (i32x4.splat (local.get $thr)))
    (local.set $scale4 (f32x4.splat (local.get $scale)))
    (local.set $j (i32.const 0))
    (block $B0
      (loop $L1
        (br_if $B0 (i32.ge_u (local.get $j) (local.get $nb)))
        (v128.store
          (i32.add (local.get $out) (local.get $j))
          (v128.and
            (f32x4.mul (v128.load (i32.add (local.get $x) (local.get $j))) (local.get $scale4))
            (i32x4.ge_u (v128.load (i32.add (local.get $draws) (local.get $j))) (local.get $thr4))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $L1))))

  ;; row_dots(x, rows, kb, v, out, out_stride): out[i] += x[i, :] . v (lanes summed as
  ;; (l0 + l1) + (l2 + l3)), out advancing out_stride bytes per row.
  (func $row_dots (export "row_dots") (type $t14)
    (param $x i32) (param $rows i32) (param $kb i32) (param $v i32) (param $out i32)
    (param $out_stride i32)
    (local $j i32) (local $a v128)
    (block $B0
      (loop $L1
        (br_if $B0 (i32.eqz (local.get $rows)))
        (local.set $a (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (block $B2
          (loop $L3
            (br_if $B2 (i32.ge_u (local.get $j) (local.get $kb)))
            (local.set $a
              (f32x4.add
                (local.get $a)
                (f32x4.mul
                  (v128.load (i32.add (local.get $x) (local.get $j)))
                  (v128.load (i32.add (local.get $v) (local.get $j))))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $L3)))
        (f32.store
          (local.get $out)
          (f32.add
            (f32.load (local.get $out))
            (f32.add
              (f32.add (f32x4.extract_lane 0 (local.get $a)) (f32x4.extract_lane 1 (local.get $a)))
              (f32.add (f32x4.extract_lane 2 (local.get $a)) (f32x4.extract_lane 3 (local.get $a))))))
        (local.set $x (i32.add (local.get $x) (local.get $kb)))
        (local.set $out (i32.add (local.get $out) (local.get $out_stride)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $L1))))

  ;; rows_axpy(x, rows, kb, g, g_stride, acc): acc += sum_i g[i] x[i, :], g advancing g_stride bytes.
  (func $rows_axpy (export "rows_axpy") (type $t15)
    (param $x i32) (param $rows i32) (param $kb i32) (param $g i32) (param $g_stride i32)
    (param $acc i32)
    (local $j i32) (local $s v128)
    (block $B0
      (loop $L1
        (br_if $B0 (i32.eqz (local.get $rows)))
        (local.set $s (v128.load32_splat (local.get $g)))
        (local.set $j (i32.const 0))
        (block $B2
          (loop $L3
            (br_if $B2 (i32.ge_u (local.get $j) (local.get $kb)))
            (v128.store
              (i32.add (local.get $acc) (local.get $j))
              (f32x4.add
                (v128.load (i32.add (local.get $acc) (local.get $j)))
                (f32x4.mul (v128.load (i32.add (local.get $x) (local.get $j))) (local.get $s))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $L3)))
        (local.set $x (i32.add (local.get $x) (local.get $kb)))
        (local.set $g (i32.add (local.get $g) (local.get $g_stride)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $L1))))

  ;; adam(value, grad, m, v, nb; b1, 1 - b1, b2, 1 - b2, step, 1 / sqrt(c2), eps, l2, shrink):
  ;; g = grad + l2 w; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g g;
  ;; w = w shrink - step m / (sqrt(v) / sqrt(c2) + eps).
  (func $adam (export "adam") (type $t16)
    (param $value i32) (param $grad i32) (param $m i32) (param $v i32) (param $nb i32)
    (param $b1 f32) (param $omb1 f32) (param $b2 f32) (param $omb2 f32) (param $step f32)
    (param $inv_sqrt_c2 f32) (param $eps f32) (param $l2 f32) (param $shrink f32)
    (local $j i32) (local $b1x4 v128) (local $omb1x4 v128) (local $b2x4 v128) (local $omb2x4 v128)
    (local $stepx4 v128) (local $inv_sqrt_c2x4 v128) (local $epsx4 v128) (local $l2x4 v128)
    (local $shrinkx4 v128) (local $w v128) (local $g v128) (local $mi v128) (local $vi v128)
    (local.set $b1x4 (f32x4.splat (local.get $b1)))
    (local.set $omb1x4 (f32x4.splat (local.get $omb1)))
    (local.set $b2x4 (f32x4.splat (local.get $b2)))
    (local.set $omb2x4 (f32x4.splat (local.get $omb2)))
    (local.set $stepx4 (f32x4.splat (local.get $step)))
    (local.set $inv_sqrt_c2x4 (f32x4.splat (local.get $inv_sqrt_c2)))
    (local.set $epsx4 (f32x4.splat (local.get $eps)))
    (local.set $l2x4 (f32x4.splat (local.get $l2)))
    (local.set $shrinkx4 (f32x4.splat (local.get $shrink)))
    (local.set $j (i32.const 0))
    (block $B0
      (loop $L1
        (br_if $B0 (i32.ge_u (local.get $j) (local.get $nb)))
        (local.set $w (v128.load (i32.add (local.get $value) (local.get $j))))
        (local.set $g
          (f32x4.add
            (v128.load (i32.add (local.get $grad) (local.get $j)))
            (f32x4.mul (local.get $l2x4) (local.get $w))))
        (local.set $mi
          (f32x4.add
            (f32x4.mul (local.get $b1x4) (v128.load (i32.add (local.get $m) (local.get $j))))
            (f32x4.mul (local.get $omb1x4) (local.get $g))))
        (local.set $vi
          (f32x4.add
            (f32x4.mul (local.get $b2x4) (v128.load (i32.add (local.get $v) (local.get $j))))
            (f32x4.mul (f32x4.mul (local.get $omb2x4) (local.get $g)) (local.get $g))))
        (v128.store (i32.add (local.get $m) (local.get $j)) (local.get $mi))
        (v128.store (i32.add (local.get $v) (local.get $j)) (local.get $vi))
        (v128.store
          (i32.add (local.get $value) (local.get $j))
          (f32x4.sub
            (f32x4.mul (local.get $w) (local.get $shrinkx4))
            (f32x4.div
              (f32x4.mul (local.get $stepx4) (local.get $mi))
              (f32x4.add
                (f32x4.mul (f32x4.sqrt (local.get $vi)) (local.get $inv_sqrt_c2x4))
                (local.get $epsx4)))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $L1))))

  ;; Batch norm fused with the ReLU after it (training). One pass each for what bn_apply_train +
  ;; relu, bn_back_stats + relu_back and bn_back_apply + relu_back + col_sums do in five, with the
  ;; same operations in the same order, so the results are the same bits. xhat is not stored: the
  ;; backward kernels recompute it from x (the batch norm's input) as bn_apply_train_relu did. The
  ;; ReLU's gradient mask comes from its output h (h > 0 exactly where its input is > 0).

  ;; bn_apply_train_relu(x, h, rows, wb, hs, hsh, gamma, beta): h = max(0, (x hs + hsh) gamma
  ;; + beta), per column.
  (func $bn_apply_train_relu (export "bn_apply_train_relu") (type $t17)
    (param $x i32) (param $out i32) (param $rows i32) (param $wb i32) (param $hs i32)
    (param $hsh i32) (param $gamma i32) (param $beta i32)
    (local $j i32)
    (block $B0
      (loop $L1
        (br_if $B0 (i32.eqz (local.get $rows)))
        (local.set $j (i32.const 0))
        (block $B2
          (loop $L3
            (br_if $B2 (i32.ge_u (local.get $j) (local.get $wb)))
            (v128.store
              (i32.add (local.get $out) (local.get $j))
              (f32x4.pmax
                (v128.const i32x4 0 0 0 0)
                (f32x4.add
                  (f32x4.mul
                    (f32x4.add
                      (f32x4.mul
                        (v128.load (i32.add (local.get $x) (local.get $j)))
                        (v128.load (i32.add (local.get $hs) (local.get $j))))
                      (v128.load (i32.add (local.get $hsh) (local.get $j))))
                    (v128.load (i32.add (local.get $gamma) (local.get $j))))
                  (v128.load (i32.add (local.get $beta) (local.get $j))))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $L3)))
        (local.set $x (i32.add (local.get $x) (local.get $wb)))
        (local.set $out (i32.add (local.get $out) (local.get $wb)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $L1))))

  ;; bn_back_stats_relu(g, h, x, rows, wb, hs, hsh, gs, gxs): with g' = h > 0 ? g : 0 and
  ;; xhat = x hs + hsh, gs += g', gxs += g' xhat per column, in float64.
  (func $bn_back_stats_relu (export "bn_back_stats_relu") (type $t18)
    (param $g i32) (param $h i32) (param $x i32) (param $rows i32) (param $wb i32)
    (param $hs i32) (param $hsh i32) (param $gs i32) (param $gxs i32)
    (local $j i32) (local $a i32) (local $b i32) (local $gl v128) (local $gh v128) (local $xv v128)
    (block $B0
      (loop $L1
        (br_if $B0 (i32.eqz (local.get $rows)))
        (local.set $j (i32.const 0))
        (block $B2
          (loop $L3
            (br_if $B2 (i32.ge_u (local.get $j) (local.get $wb)))
            (local.set $gl
              (v128.and
                (v128.load (i32.add (local.get $g) (local.get $j)))
                (f32x4.gt
                  (v128.load (i32.add (local.get $h) (local.get $j)))
                  (v128.const i32x4 0 0 0 0))))
            (local.set $gh
              (f64x2.promote_low_f32x4
                (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15
                  (local.get $gl)
                  (local.get $gl))))
            (local.set $gl (f64x2.promote_low_f32x4 (local.get $gl)))
            (local.set $xv
              (f32x4.add
                (f32x4.mul
                  (v128.load (i32.add (local.get $x) (local.get $j)))
                  (v128.load (i32.add (local.get $hs) (local.get $j))))
                (v128.load (i32.add (local.get $hsh) (local.get $j)))))
            (local.set $a (i32.add (local.get $gs) (i32.shl (local.get $j) (i32.const 1))))
            (local.set $b (i32.add (local.get $gxs) (i32.shl (local.get $j) (i32.const 1))))
            (v128.store (local.get $a) (f64x2.add (v128.load (local.get $a)) (local.get $gl)))
            (v128.store offset=16
              (local.get $a)
              (f64x2.add (v128.load offset=16 (local.get $a)) (local.get $gh)))
            (v128.store
              (local.get $b)
              (f64x2.add
                (v128.load (local.get $b))
                (f64x2.mul (local.get $gl) (f64x2.promote_low_f32x4 (local.get $xv)))))
            (v128.store offset=16
              (local.get $b)
              (f64x2.add
                (v128.load offset=16 (local.get $b))
                (f64x2.mul
                  (local.get $gh)
                  (f64x2.promote_low_f32x4
                    (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15
                      (local.get $xv)
                      (local.get $xv))))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $L3)))
        (local.set $g (i32.add (local.get $g) (local.get $wb)))
        (local.set $h (i32.add (local.get $h) (local.get $wb)))
        (local.set $x (i32.add (local.get $x) (local.get $wb)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $L1))))

  ;; bn_back_apply_relu(g, h, x, gi, rows, wb, hs, hsh, c1, c2, c3, sums): with
  ;; g' = h > 0 ? g : 0 and xhat = x hs + hsh, gi = c1 g' + c2 xhat + c3 per column, and sums += gi
  ;; per column in float64 (the bias gradient of the dense layer before).
  (func $bn_back_apply_relu (export "bn_back_apply_relu") (type $t19)
    (param $g i32) (param $h i32) (param $x i32) (param $gi i32) (param $rows i32) (param $wb i32)
    (param $hs i32) (param $hsh i32) (param $c1 i32) (param $c2 i32) (param $c3 i32)
    (param $sums i32)
    (local $j i32) (local $a i32) (local $v v128)
    (block $B0
      (loop $L1
        (br_if $B0 (i32.eqz (local.get $rows)))
        (local.set $j (i32.const 0))
        (block $B2
          (loop $L3
            (br_if $B2 (i32.ge_u (local.get $j) (local.get $wb)))
            (local.set $v
              (f32x4.add
                (f32x4.add
                  (f32x4.mul
                    (v128.load (i32.add (local.get $c1) (local.get $j)))
                    (v128.and
                      (v128.load (i32.add (local.get $g) (local.get $j)))
                      (f32x4.gt
                        (v128.load (i32.add (local.get $h) (local.get $j)))
                        (v128.const i32x4 0 0 0 0))))
                  (f32x4.mul
                    (v128.load (i32.add (local.get $c2) (local.get $j)))
                    (f32x4.add
                      (f32x4.mul
                        (v128.load (i32.add (local.get $x) (local.get $j)))
                        (v128.load (i32.add (local.get $hs) (local.get $j))))
                      (v128.load (i32.add (local.get $hsh) (local.get $j))))))
                (v128.load (i32.add (local.get $c3) (local.get $j)))))
            (v128.store (i32.add (local.get $gi) (local.get $j)) (local.get $v))
            (local.set $a (i32.add (local.get $sums) (i32.shl (local.get $j) (i32.const 1))))
            (v128.store
              (local.get $a)
              (f64x2.add (v128.load (local.get $a)) (f64x2.promote_low_f32x4 (local.get $v))))
            (v128.store offset=16
              (local.get $a)
              (f64x2.add
                (v128.load offset=16 (local.get $a))
                (f64x2.promote_low_f32x4
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15
                    (local.get $v)
                    (local.get $v)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $L3)))
        (local.set $g (i32.add (local.get $g) (local.get $wb)))
        (local.set $h (i32.add (local.get $h) (local.get $wb)))
        (local.set $x (i32.add (local.get $x) (local.get $wb)))
        (local.set $gi (i32.add (local.get $gi) (local.get $wb)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $L1))))

  ;; pack_at(src, ld, dst, k, m4): A stored transposed (k rows of floats, ld bytes apart) into
  ;; panels of 4 of A's rows: panel i holds, for p = 0..k-1, the 4 floats at src + p ld + 16 i
  ;; (16 contiguous bytes per p), so the product reads each block of A sequentially. m4 is A's row
  ;; count rounded up to 4; the last panel's padding floats read on past the row (never used).
  (func $pack_at (export "pack_at") (type $t20)
    (param $src i32) (param $ld i32) (param $dst i32) (param $k i32) (param $m4 i32)
    (local $i i32) (local $q i32) (local $p i32)
    (local.set $i (i32.const 0))
    (block $B0
      (loop $L1
        (br_if $B0 (i32.ge_u (local.get $i) (local.get $m4)))
        (local.set $q (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2))))
        (local.set $p (local.get $k))
        (block $B2
          (loop $L3
            (br_if $B2 (i32.eqz (local.get $p)))
            (v128.store (local.get $dst) (v128.load (local.get $q)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
            (local.set $q (i32.add (local.get $q) (local.get $ld)))
            (local.set $p (i32.sub (local.get $p) (i32.const 1)))
            (br $L3)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $L1)))))
