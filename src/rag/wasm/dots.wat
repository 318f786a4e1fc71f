;; Dot products for the RAG dense index (loaded by ../hnsw-kernel.ts): one query against listed rows
;; of a row-major float32 matrix, four lanes at a time. Row widths are in bytes, a multiple of 16.
;; Build: node scripts/build-wasm.mjs (writes dots.wasm.ts; a test checks it matches).
(module
  (import "env" "mem" (memory $mem 1 65536))

  ;; dots(base, rb, q, ids, n, out): out[i] = <row ids[i] of the matrix at base, the vector at q>.
  (func $dots (export "dots")
    (param $base i32) (param $rb i32) (param $q i32) (param $ids i32) (param $n i32) (param $out i32)
    (local $p i32) (local $j i32) (local $acc0 v128) (local $acc1 v128)
    (block $done
      (loop $rows
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $p (i32.add (local.get $base) (i32.mul (i32.load (local.get $ids)) (local.get $rb))))
        (local.set $acc0 (v128.const f32x4 0 0 0 0))
        (local.set $acc1 (v128.const f32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        ;; Two accumulators over 32-byte steps, then one 16-byte tail step when the width needs it.
        (block $cols_done
          (loop $cols
            (br_if $cols_done (i32.gt_u (i32.add (local.get $j) (i32.const 32)) (local.get $rb)))
            (local.set $acc0
              (f32x4.add (local.get $acc0)
                (f32x4.mul
                  (v128.load (i32.add (local.get $p) (local.get $j)))
                  (v128.load (i32.add (local.get $q) (local.get $j))))))
            (local.set $acc1
              (f32x4.add (local.get $acc1)
                (f32x4.mul
                  (v128.load offset=16 (i32.add (local.get $p) (local.get $j)))
                  (v128.load offset=16 (i32.add (local.get $q) (local.get $j))))))
            (local.set $j (i32.add (local.get $j) (i32.const 32)))
            (br $cols)))
        (if (i32.lt_u (local.get $j) (local.get $rb))
          (then
            (local.set $acc0
              (f32x4.add (local.get $acc0)
                (f32x4.mul
                  (v128.load (i32.add (local.get $p) (local.get $j)))
                  (v128.load (i32.add (local.get $q) (local.get $j))))))))
        (local.set $acc0 (f32x4.add (local.get $acc0) (local.get $acc1)))
        (f32.store (local.get $out)
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $acc0)) (f32x4.extract_lane 1 (local.get $acc0)))
            (f32.add (f32x4.extract_lane 2 (local.get $acc0)) (f32x4.extract_lane 3 (local.get $acc0)))))
        (local.set $ids (i32.add (local.get $ids) (i32.const 4)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $rows)))))
