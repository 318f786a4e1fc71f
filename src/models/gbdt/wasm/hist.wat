;; Histogram and partition kernels of GBDT training (loaded by ../wasm-hist.ts).
;; Imports a shared memory so worker threads run the kernels on the same arena.
;; Build: node scripts/build-wasm.mjs (writes hist.wasm.ts; a test checks it matches).
(module
  (type $t0 (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (type $t1 (func (param i32 i32 i32 i32 i32 i32 i32)))
  (type $t4 (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (type $t3 (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
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

  ;; hist8(rows, og, oh, start, end, col0..col7, base0..base7): hist4 for eight features, the row's
  ;; index, gradient and hessian loaded once for all eight (measured ~10 % less time per update).
  (func $hist8 (export "hist8") (type $t4)
    (param $rows i32) (param $og i32) (param $oh i32) (param $start i32) (param $end i32)
    (param $col0 i32) (param $col1 i32) (param $col2 i32) (param $col3 i32) (param $col4 i32) (param $col5 i32) (param $col6 i32) (param $col7 i32)
    (param $base0 i32) (param $base1 i32) (param $base2 i32) (param $base3 i32) (param $base4 i32) (param $base5 i32) (param $base6 i32) (param $base7 i32)
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
        (local.set $k
          (i32.add
            (local.get $base4)
            (i32.mul (i32.load8_u (i32.add (local.get $col4) (local.get $r))) (i32.const 24))))
        (v128.store (local.get $k) (f64x2.add (v128.load (local.get $k)) (local.get $gh)))
        (f64.store offset=16
          (local.get $k)
          (f64.add (f64.load offset=16 (local.get $k)) (f64.const 1)))
        (local.set $k
          (i32.add
            (local.get $base5)
            (i32.mul (i32.load8_u (i32.add (local.get $col5) (local.get $r))) (i32.const 24))))
        (v128.store (local.get $k) (f64x2.add (v128.load (local.get $k)) (local.get $gh)))
        (f64.store offset=16
          (local.get $k)
          (f64.add (f64.load offset=16 (local.get $k)) (f64.const 1)))
        (local.set $k
          (i32.add
            (local.get $base6)
            (i32.mul (i32.load8_u (i32.add (local.get $col6) (local.get $r))) (i32.const 24))))
        (v128.store (local.get $k) (f64x2.add (v128.load (local.get $k)) (local.get $gh)))
        (f64.store offset=16
          (local.get $k)
          (f64.add (f64.load offset=16 (local.get $k)) (f64.const 1)))
        (local.set $k
          (i32.add
            (local.get $base7)
            (i32.mul (i32.load8_u (i32.add (local.get $col7) (local.get $r))) (i32.const 24))))
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

  ;; partition(src_rows, src_g, src_h, from, to, col, mask, dst_rows, dst_g, dst_h, l, r) -> l_end:
  ;; the split's stable partition from one row buffer into the other. Rows of [from, to) of the
  ;; source, in order, go to the destination: those whose bin has mask[bin] = 1 at l, l + 1, ...,
  ;; the others at r, r + 1, ... (with their gradients and hessians). Returns where l ended. One
  ;; write per row, its position chosen by `select` (no branch on the ~50 % unpredictable side).
  (func $partition (export "partition") (type $t3)
    (param $rows i32) (param $og i32) (param $oh i32) (param $from i32) (param $to i32)
    (param $col i32) (param $mask i32) (param $d_rows i32) (param $d_g i32) (param $d_h i32)
    (param $l i32) (param $r i32) (result i32)
    (local $i i32) (local $row i32) (local $left i32) (local $p i32)
    (local.set $i (local.get $from))
    (block $B0
      (br_if $B0 (i32.ge_u (local.get $i) (local.get $to)))
      (loop $L1
        (local.set $row (i32.load (i32.add (local.get $rows) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $left
          (i32.load8_u
            (i32.add (local.get $mask) (i32.load8_u (i32.add (local.get $col) (local.get $row))))))
        (local.set $p (select (local.get $l) (local.get $r) (local.get $left)))
        (i32.store (i32.add (local.get $d_rows) (i32.shl (local.get $p) (i32.const 2))) (local.get $row))
        (f64.store
          (i32.add (local.get $d_g) (i32.shl (local.get $p) (i32.const 3)))
          (f64.load (i32.add (local.get $og) (i32.shl (local.get $i) (i32.const 3)))))
        (f64.store
          (i32.add (local.get $d_h) (i32.shl (local.get $p) (i32.const 3)))
          (f64.load (i32.add (local.get $oh) (i32.shl (local.get $i) (i32.const 3)))))
        (local.set $l (i32.add (local.get $l) (local.get $left)))
        (local.set $r (i32.add (local.get $r) (i32.sub (i32.const 1) (local.get $left))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $L1 (i32.lt_u (local.get $i) (local.get $to)))))
    (local.get $l))

  ;; partition_back: partition from the other end. Rows of [from, to) are taken last first and
  ;; written downwards: left ones at l, l - 1, ..., the others at r, r - 1, ...; so a second thread
  ;; that takes a node's upper chunk this way fills the left part's top and the right part's top
  ;; while the first fills both parts' bottoms, in the same stable order. Returns where l ended
  ;; (one below the lowest left row written).
  (func $partition_back (export "partition_back") (type $t3)
    (param $rows i32) (param $og i32) (param $oh i32) (param $from i32) (param $to i32)
    (param $col i32) (param $mask i32) (param $d_rows i32) (param $d_g i32) (param $d_h i32)
    (param $l i32) (param $r i32) (result i32)
    (local $i i32) (local $row i32) (local $left i32) (local $p i32)
    (local.set $i (local.get $to))
    (block $B0
      (br_if $B0 (i32.le_u (local.get $i) (local.get $from)))
      (loop $L1
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (local.set $row (i32.load (i32.add (local.get $rows) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $left
          (i32.load8_u
            (i32.add (local.get $mask) (i32.load8_u (i32.add (local.get $col) (local.get $row))))))
        (local.set $p (select (local.get $l) (local.get $r) (local.get $left)))
        (i32.store (i32.add (local.get $d_rows) (i32.shl (local.get $p) (i32.const 2))) (local.get $row))
        (f64.store
          (i32.add (local.get $d_g) (i32.shl (local.get $p) (i32.const 3)))
          (f64.load (i32.add (local.get $og) (i32.shl (local.get $i) (i32.const 3)))))
        (f64.store
          (i32.add (local.get $d_h) (i32.shl (local.get $p) (i32.const 3)))
          (f64.load (i32.add (local.get $oh) (i32.shl (local.get $i) (i32.const 3)))))
        (local.set $l (i32.sub (local.get $l) (local.get $left)))
        (local.set $r (i32.sub (local.get $r) (i32.sub (i32.const 1) (local.get $left))))
        (br_if $L1 (i32.gt_u (local.get $i) (local.get $from)))))
    (local.get $l)))
