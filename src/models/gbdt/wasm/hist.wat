;; Histogram and partition kernels of GBDT training (loaded by ../wasm-hist.ts).
;; Imports a shared memory so worker threads run the kernels on the same arena.
;; Build: node scripts/build-wasm.mjs (writes hist.wasm.ts; a test checks it matches).
;; One (type) per function: the layout of the kernels' original encoder, kept so the bytes stay the same.
(module
  (type $t0 (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (type $t1 (func (param i32 i32 i32 i32 i32 i32 i32)))
  (type $t2 (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "mem" (memory $mem 1 65536 shared))

  ;; hist4(rows, og, oh, start, end, col0..col3, base0..base3): for i in [start, end), r = rows[i];
  ;; for each of the 4 features j, k = base_j + 24 * bins[col_j + r] and hist[k] += og[i],
  ;; hist[k + 8] += oh[i], hist[k + 16] += 1 (byte addresses; int32 rows, float64 og/oh/hist,
  ;; uint8 bins). The additions of histogram.ts in the same order; the gradient and hessian sums,
  ;; adjacent in the histogram, are added as one f64x2 (the same two IEEE additions, one load and
  ;; one store for both).
  (func $hist4 (export "hist4") (type $t0)
    (param $rows i32) (param $og i32) (param $oh i32) (param $start i32) (param $end i32)
    (param $col0 i32) (param $col1 i32) (param $col2 i32) (param $col3 i32) (param $base0 i32)
    (param $base1 i32) (param $base2 i32) (param $base3 i32)
    (local $i i32) (local $r i32) (local $k i32) (local $g f64) (local $h f64) (local $gh v128)
    (local.set $i (local.get $start))
    (block $B0
      (br_if $B0 (i32.ge_u (local.get $i) (local.get $end)))
      (loop $L1
        (local.set $r (i32.load (i32.add (local.get $rows) (i32.mul (local.get $i) (i32.const 4)))))
        (local.set $g (f64.load (i32.add (local.get $og) (i32.mul (local.get $i) (i32.const 8)))))
        (local.set $h (f64.load (i32.add (local.get $oh) (i32.mul (local.get $i) (i32.const 8)))))
        (local.set $gh (f64x2.replace_lane 1 (f64x2.splat (local.get $g)) (local.get $h)))
        (local.set $k
          (i32.add
            (local.get $base0)
            (i32.mul (i32.load8_u (i32.add (local.get $col0) (local.get $r))) (i32.const 24))))
        (v128.store (local.get $k) (f64x2.add (v128.load (local.get $k)) (local.get $gh)))
        (f64.store offset=16
          (local.get $k)
          (f64.add (f64.load offset=16 (local.get $k)) (f64.const 1)))
        (local.set $k
          (i32.add
            (local.get $base1)
            (i32.mul (i32.load8_u (i32.add (local.get $col1) (local.get $r))) (i32.const 24))))
        (v128.store (local.get $k) (f64x2.add (v128.load (local.get $k)) (local.get $gh)))
        (f64.store offset=16
          (local.get $k)
          (f64.add (f64.load offset=16 (local.get $k)) (f64.const 1)))
        (local.set $k
          (i32.add
            (local.get $base2)
            (i32.mul (i32.load8_u (i32.add (local.get $col2) (local.get $r))) (i32.const 24))))
        (v128.store (local.get $k) (f64x2.add (v128.load (local.get $k)) (local.get $gh)))
        (f64.store offset=16
          (local.get $k)
          (f64.add (f64.load offset=16 (local.get $k)) (f64.const 1)))
        (local.set $k
          (i32.add
            (local.get $base3)
            (i32.mul (i32.load8_u (i32.add (local.get $col3) (local.get $r))) (i32.const 24))))
        (v128.store (local.get $k) (f64x2.add (v128.load (local.get $k)) (local.get $gh)))
        (f64.store offset=16
          (local.get $k)
          (f64.add (f64.load offset=16 (local.get $k)) (f64.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $L1 (i32.lt_u (local.get $i) (local.get $end))))))

  ;; hist1(rows, og, oh, start, end, col0, base0): hist4 for one feature.
  (func $hist1 (export "hist1") (type $t1)
    (param $rows i32) (param $og i32) (param $oh i32) (param $start i32) (param $end i32)
    (param $col0 i32) (param $base0 i32)
    (local $i i32) (local $r i32) (local $k i32) (local $g f64) (local $h f64) (local $gh v128)
    (local.set $i (local.get $start))
    (block $B0
      (br_if $B0 (i32.ge_u (local.get $i) (local.get $end)))
      (loop $L1
        (local.set $r (i32.load (i32.add (local.get $rows) (i32.mul (local.get $i) (i32.const 4)))))
        (local.set $g (f64.load (i32.add (local.get $og) (i32.mul (local.get $i) (i32.const 8)))))
        (local.set $h (f64.load (i32.add (local.get $oh) (i32.mul (local.get $i) (i32.const 8)))))
        (local.set $gh (f64x2.replace_lane 1 (f64x2.splat (local.get $g)) (local.get $h)))
        (local.set $k
          (i32.add
            (local.get $base0)
            (i32.mul (i32.load8_u (i32.add (local.get $col0) (local.get $r))) (i32.const 24))))
        (v128.store (local.get $k) (f64x2.add (v128.load (local.get $k)) (local.get $gh)))
        (f64.store offset=16
          (local.get $k)
          (f64.add (f64.load offset=16 (local.get $k)) (f64.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $L1 (i32.lt_u (local.get $i) (local.get $end))))))

  ;; partition(rows, og, oh, start, end, col, mask, s_rows, s_grad, s_hess) -> mid: the stable
  ;; partition of grower.ts. Rows of [start, end) whose bin has mask[bin] = 1 compact to the front
  ;; (with their gradients and hessians); the others are copied to the scratch arrays, in order, for
  ;; the caller to append at mid. Branch-free, as the JavaScript loop.
  (func $partition (export "partition") (type $t2)
    (param $rows i32) (param $og i32) (param $oh i32) (param $start i32) (param $end i32)
    (param $col i32) (param $mask i32) (param $s_rows i32) (param $s_grad i32) (param $s_hess i32)
    (result i32)
    (local $i i32) (local $r i32) (local $l i32) (local $rc i32) (local $left i32) (local $g f64)
    (local $h f64)
    (local.set $i (local.get $start))
    (local.set $l (local.get $start))
    (local.set $rc (i32.const 0))
    (block $B0
      (br_if $B0 (i32.ge_u (local.get $i) (local.get $end)))
      (loop $L1
        (local.set $r (i32.load (i32.add (local.get $rows) (i32.mul (local.get $i) (i32.const 4)))))
        (local.set $g (f64.load (i32.add (local.get $og) (i32.mul (local.get $i) (i32.const 8)))))
        (local.set $h (f64.load (i32.add (local.get $oh) (i32.mul (local.get $i) (i32.const 8)))))
        (local.set $left
          (i32.load8_u
            (i32.add (local.get $mask) (i32.load8_u (i32.add (local.get $col) (local.get $r))))))
        (i32.store
          (i32.add (local.get $rows) (i32.mul (local.get $l) (i32.const 4)))
          (local.get $r))
        (f64.store (i32.add (local.get $og) (i32.mul (local.get $l) (i32.const 8))) (local.get $g))
        (f64.store (i32.add (local.get $oh) (i32.mul (local.get $l) (i32.const 8))) (local.get $h))
        (i32.store
          (i32.add (local.get $s_rows) (i32.mul (local.get $rc) (i32.const 4)))
          (local.get $r))
        (f64.store
          (i32.add (local.get $s_grad) (i32.mul (local.get $rc) (i32.const 8)))
          (local.get $g))
        (f64.store
          (i32.add (local.get $s_hess) (i32.mul (local.get $rc) (i32.const 8)))
          (local.get $h))
        (local.set $l (i32.add (local.get $l) (local.get $left)))
        (local.set $rc (i32.add (local.get $rc) (i32.sub (i32.const 1) (local.get $left))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $L1 (i32.lt_u (local.get $i) (local.get $end)))))
    (local.get $l)))
