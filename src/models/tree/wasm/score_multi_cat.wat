;; Batch-scoring kernel score_multi_cat for PackedForest (loaded by ../wasm-score.ts).
;; One of six variants: leaf mode (scalar, vector, multi) x categorical splits (_cat) or not.
;; Build: node scripts/build-wasm.mjs (writes score_multi_cat.wasm.ts; a test checks it matches).
;; One (type) per function: the layout of the kernels' original encoder, kept so the bytes stay the same.
(module
  (type $t0 (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (import "env" "mem" (memory $mem 1))

  ;; Scores rows [0, n_rows) of the row-major float64 matrix at data (stride bytes per row) with trees
  ;; [t0, t1). Every address is a byte address in $mem: nodes (int32 pairs: info, first child), thr
  ;; (float64 per node), val (float64 leaf values), roots and depth (int32 per tree), cat_offset (int32
  ;; per node: the byte address of its table) and cat_bits (the tables; the kernel reads them through
  ;; cat_offset), as WasmScorer lays them out.
  ;; output_of: the output (class) each tree adds to (int32 per tree).
  ;; info = feature | nanRight << 24 | categorical << 25 (tree.ts). A step goes to child + right with
  ;; right = (v > thr) | (isNaN(v) & nanRight); leaves point to themselves, so a walk may run past them.
  ;; Categorical splits (PackedForest.categoricalStep's rule) with no branch: WasmScorer stores a
  ;; categorical feature's value in its slot's low bits as an index into its nodes' tables (the code,
  ;; n for a non-code or a code above every left set, n + 1 for NaN; the high bits 0, so the slot is
  ;; not NaN), and every step ORs in the byte of its node's table at the slot's low 9 bits (1: right).
  ;; A categorical node has threshold NaN, so its numeric compare adds nothing; a numeric node's
  ;; table is a pad of 512 zero bytes.
  ;;
  ;; Multiclass: each tree adds its leaf value to output output_of[t] of the row's width outputs.
  ;;
  ;; Rows go in pairs while two remain (row0, row1), then one by one: each group of four trees walks
  ;; the 8 lanes (n{p}_{k}: row p, tree t + k) in lockstep for up to max(depth) levels, stopping early
  ;; when no lane moves ($moved); trees left over after the groups of four walk one at a time. Leaf
  ;; values are added per row in tree order, exactly the additions of PackedForest's JavaScript walk,
  ;; so scores are identical bit for bit.
  (func $score_multi_cat (export "score_multi_cat") (type $t0)
    (param $nodes i32) (param $thr i32) (param $val i32) (param $roots i32) (param $depth i32)
    (param $t0 i32) (param $t1 i32) (param $data i32) (param $stride i32) (param $n_rows i32)
    (param $out i32) (param $width i32) (param $cat_offset i32) (param $cat_bits i32)
    (param $output_of i32)
    (local $r i32) (local $t i32) (local $d i32) (local $level i32) (local $info i32)
    (local $moved i32) (local $next i32) (local $row0 i32) (local $row1 i32) (local $n0_0 i32)
    (local $n0_1 i32) (local $n0_2 i32) (local $n0_3 i32) (local $n1_0 i32) (local $n1_1 i32)
    (local $n1_2 i32) (local $n1_3 i32) (local $out_row0 i32) (local $out_row1 i32) (local $o i32)
    (local $right i32) (local $code i32) (local $v f64) (local $acc0 f64) (local $acc1 f64)
    (local.set $r (i32.const 0))
    ;; Rows two at a time while two remain (row0, row1: their addresses).
    (block $B0
      (loop $L1
        (br_if $B0 (i32.gt_u (i32.add (local.get $r) (i32.const 2)) (local.get $n_rows)))
        (local.set $row0
          (i32.add
            (local.get $data)
            (i32.mul (i32.add (local.get $r) (i32.const 0)) (local.get $stride))))
        (local.set $out_row0
          (i32.add
            (local.get $out)
            (i32.mul
              (i32.mul (i32.add (local.get $r) (i32.const 0)) (local.get $width))
              (i32.const 8))))
        (local.set $row1
          (i32.add
            (local.get $data)
            (i32.mul (i32.add (local.get $r) (i32.const 1)) (local.get $stride))))
        (local.set $out_row1
          (i32.add
            (local.get $out)
            (i32.mul
              (i32.mul (i32.add (local.get $r) (i32.const 1)) (local.get $width))
              (i32.const 8))))
        ;; Trees four at a time: every lane starts at its tree's root; d = the deepest of the four.
        (local.set $t (local.get $t0))
        (block $B2
          (loop $L3
            (br_if $B2 (i32.gt_u (i32.add (local.get $t) (i32.const 4)) (local.get $t1)))
            (local.set $n0_0
              (i32.load
                (i32.add
                  (local.get $roots)
                  (i32.mul (i32.add (local.get $t) (i32.const 0)) (i32.const 4)))))
            (local.set $n1_0 (local.get $n0_0))
            (local.set $n0_1
              (i32.load
                (i32.add
                  (local.get $roots)
                  (i32.mul (i32.add (local.get $t) (i32.const 1)) (i32.const 4)))))
            (local.set $n1_1 (local.get $n0_1))
            (local.set $n0_2
              (i32.load
                (i32.add
                  (local.get $roots)
                  (i32.mul (i32.add (local.get $t) (i32.const 2)) (i32.const 4)))))
            (local.set $n1_2 (local.get $n0_2))
            (local.set $n0_3
              (i32.load
                (i32.add
                  (local.get $roots)
                  (i32.mul (i32.add (local.get $t) (i32.const 3)) (i32.const 4)))))
            (local.set $n1_3 (local.get $n0_3))
            (local.set $d
              (i32.load (i32.add (local.get $depth) (i32.mul (local.get $t) (i32.const 4)))))
            (local.set $info
              (i32.load offset=4
                (i32.add (local.get $depth) (i32.mul (local.get $t) (i32.const 4)))))
            (local.set $d
              (select (local.get $info) (local.get $d) (i32.gt_u (local.get $info) (local.get $d))))
            (local.set $info
              (i32.load offset=8
                (i32.add (local.get $depth) (i32.mul (local.get $t) (i32.const 4)))))
            (local.set $d
              (select (local.get $info) (local.get $d) (i32.gt_u (local.get $info) (local.get $d))))
            (local.set $info
              (i32.load offset=12
                (i32.add (local.get $depth) (i32.mul (local.get $t) (i32.const 4)))))
            (local.set $d
              (select (local.get $info) (local.get $d) (i32.gt_u (local.get $info) (local.get $d))))
            ;; Up to d levels: every lane steps once; stop early when no lane moved.
            (local.set $level (i32.const 0))
            (block $B4
              (br_if $B4 (i32.ge_u (local.get $level) (local.get $d)))
              (loop $L5
                (local.set $moved (i32.const 0))
                ;; Lane n0_0: info = nodes[2 n0_0], v = row[info & 0xffffff]; pushes child + right.
                (local.set $info
                  (i32.load (i32.add (local.get $nodes) (i32.mul (local.get $n0_0) (i32.const 8)))))
                (local.set $v
                  (f64.load
                    (i32.add
                      (local.get $row0)
                      (i32.mul (i32.and (local.get $info) (i32.const 0xffffff)) (i32.const 8)))))
                (i32.load offset=4
                  (i32.add (local.get $nodes) (i32.mul (local.get $n0_0) (i32.const 8))))
                (local.set $right
                  (i32.or
                    (f64.gt
                      (local.get $v)
                      (f64.load
                        (i32.add (local.get $thr) (i32.mul (local.get $n0_0) (i32.const 8)))))
                    (i32.and
                      (f64.ne (local.get $v) (local.get $v))
                      (i32.shr_u (local.get $info) (i32.const 24)))))
                ;; Categorical: the code in the slot's low 9 bits picks a byte of the node's table (1: right).
                (i32.or
                  (local.get $right)
                  (i32.load8_u
                    (i32.add
                      (i32.load (i32.add (local.get $cat_offset) (i32.mul (local.get $n0_0) (i32.const 4))))
                      (i32.and
                        (i32.load16_u
                          (i32.add
                            (local.get $row0)
                            (i32.mul (i32.and (local.get $info) (i32.const 0xffffff)) (i32.const 8))))
                        (i32.const 0x1ff)))))
                (local.set $moved
                  (i32.or (i32.ne (local.tee $next (i32.add)) (local.get $n0_0)) (local.get $moved)))
                (local.set $n0_0 (local.get $next))
                ;; Lane n0_1: info = nodes[2 n0_1], v = row[info & 0xffffff]; pushes child + right.
                (local.set $info
                  (i32.load (i32.add (local.get $nodes) (i32.mul (local.get $n0_1) (i32.const 8)))))
                (local.set $v
                  (f64.load
                    (i32.add
                      (local.get $row0)
                      (i32.mul (i32.and (local.get $info) (i32.const 0xffffff)) (i32.const 8)))))
                (i32.load offset=4
                  (i32.add (local.get $nodes) (i32.mul (local.get $n0_1) (i32.const 8))))
                (local.set $right
                  (i32.or
                    (f64.gt
                      (local.get $v)
                      (f64.load
                        (i32.add (local.get $thr) (i32.mul (local.get $n0_1) (i32.const 8)))))
                    (i32.and
                      (f64.ne (local.get $v) (local.get $v))
                      (i32.shr_u (local.get $info) (i32.const 24)))))
                ;; Categorical: the code in the slot's low 9 bits picks a byte of the node's table (1: right).
                (i32.or
                  (local.get $right)
                  (i32.load8_u
                    (i32.add
                      (i32.load (i32.add (local.get $cat_offset) (i32.mul (local.get $n0_1) (i32.const 4))))
                      (i32.and
                        (i32.load16_u
                          (i32.add
                            (local.get $row0)
                            (i32.mul (i32.and (local.get $info) (i32.const 0xffffff)) (i32.const 8))))
                        (i32.const 0x1ff)))))
                (local.set $moved
                  (i32.or (i32.ne (local.tee $next (i32.add)) (local.get $n0_1)) (local.get $moved)))
                (local.set $n0_1 (local.get $next))
                ;; Lane n0_2: info = nodes[2 n0_2], v = row[info & 0xffffff]; pushes child + right.
                (local.set $info
                  (i32.load (i32.add (local.get $nodes) (i32.mul (local.get $n0_2) (i32.const 8)))))
                (local.set $v
                  (f64.load
                    (i32.add
                      (local.get $row0)
                      (i32.mul (i32.and (local.get $info) (i32.const 0xffffff)) (i32.const 8)))))
                (i32.load offset=4
                  (i32.add (local.get $nodes) (i32.mul (local.get $n0_2) (i32.const 8))))
                (local.set $right
                  (i32.or
                    (f64.gt
                      (local.get $v)
                      (f64.load
                        (i32.add (local.get $thr) (i32.mul (local.get $n0_2) (i32.const 8)))))
                    (i32.and
                      (f64.ne (local.get $v) (local.get $v))
                      (i32.shr_u (local.get $info) (i32.const 24)))))
                ;; Categorical: the code in the slot's low 9 bits picks a byte of the node's table (1: right).
                (i32.or
                  (local.get $right)
                  (i32.load8_u
                    (i32.add
                      (i32.load (i32.add (local.get $cat_offset) (i32.mul (local.get $n0_2) (i32.const 4))))
                      (i32.and
                        (i32.load16_u
                          (i32.add
                            (local.get $row0)
                            (i32.mul (i32.and (local.get $info) (i32.const 0xffffff)) (i32.const 8))))
                        (i32.const 0x1ff)))))
                (local.set $moved
                  (i32.or (i32.ne (local.tee $next (i32.add)) (local.get $n0_2)) (local.get $moved)))
                (local.set $n0_2 (local.get $next))
                ;; Lane n0_3: info = nodes[2 n0_3], v = row[info & 0xffffff]; pushes child + right.
                (local.set $info
                  (i32.load (i32.add (local.get $nodes) (i32.mul (local.get $n0_3) (i32.const 8)))))
                (local.set $v
                  (f64.load
                    (i32.add
                      (local.get $row0)
                      (i32.mul (i32.and (local.get $info) (i32.const 0xffffff)) (i32.const 8)))))
                (i32.load offset=4
                  (i32.add (local.get $nodes) (i32.mul (local.get $n0_3) (i32.const 8))))
                (local.set $right
                  (i32.or
                    (f64.gt
                      (local.get $v)
                      (f64.load
                        (i32.add (local.get $thr) (i32.mul (local.get $n0_3) (i32.const 8)))))
                    (i32.and
                      (f64.ne (local.get $v) (local.get $v))
                      (i32.shr_u (local.get $info) (i32.const 24)))))
                ;; Categorical: the code in the slot's low 9 bits picks a byte of the node's table (1: right).
                (i32.or
                  (local.get $right)
                  (i32.load8_u
                    (i32.add
                      (i32.load (i32.add (local.get $cat_offset) (i32.mul (local.get $n0_3) (i32.const 4))))
                      (i32.and
                        (i32.load16_u
                          (i32.add
                            (local.get $row0)
                            (i32.mul (i32.and (local.get $info) (i32.const 0xffffff)) (i32.const 8))))
                        (i32.const 0x1ff)))))
                (local.set $moved
                  (i32.or (i32.ne (local.tee $next (i32.add)) (local.get $n0_3)) (local.get $moved)))
                (local.set $n0_3 (local.get $next))
                ;; Lane n1_0: info = nodes[2 n1_0], v = row[info & 0xffffff]; pushes child + right.
                (local.set $info
                  (i32.load (i32.add (local.get $nodes) (i32.mul (local.get $n1_0) (i32.const 8)))))
                (local.set $v
                  (f64.load
                    (i32.add
                      (local.get $row1)
                      (i32.mul (i32.and (local.get $info) (i32.const 0xffffff)) (i32.const 8)))))
                (i32.load offset=4
                  (i32.add (local.get $nodes) (i32.mul (local.get $n1_0) (i32.const 8))))
                (local.set $right
                  (i32.or
                    (f64.gt
                      (local.get $v)
                      (f64.load
                        (i32.add (local.get $thr) (i32.mul (local.get $n1_0) (i32.const 8)))))
                    (i32.and
                      (f64.ne (local.get $v) (local.get $v))
                      (i32.shr_u (local.get $info) (i32.const 24)))))
                ;; Categorical: the code in the slot's low 9 bits picks a byte of the node's table (1: right).
                (i32.or
                  (local.get $right)
                  (i32.load8_u
                    (i32.add
                      (i32.load (i32.add (local.get $cat_offset) (i32.mul (local.get $n1_0) (i32.const 4))))
                      (i32.and
                        (i32.load16_u
                          (i32.add
                            (local.get $row1)
                            (i32.mul (i32.and (local.get $info) (i32.const 0xffffff)) (i32.const 8))))
                        (i32.const 0x1ff)))))
                (local.set $moved
                  (i32.or (i32.ne (local.tee $next (i32.add)) (local.get $n1_0)) (local.get $moved)))
                (local.set $n1_0 (local.get $next))
                ;; Lane n1_1: info = nodes[2 n1_1], v = row[info & 0xffffff]; pushes child + right.
                (local.set $info
                  (i32.load (i32.add (local.get $nodes) (i32.mul (local.get $n1_1) (i32.const 8)))))
                (local.set $v
                  (f64.load
                    (i32.add
                      (local.get $row1)
                      (i32.mul (i32.and (local.get $info) (i32.const 0xffffff)) (i32.const 8)))))
                (i32.load offset=4
                  (i32.add (local.get $nodes) (i32.mul (local.get $n1_1) (i32.const 8))))
                (local.set $right
                  (i32.or
                    (f64.gt
                      (local.get $v)
                      (f64.load
                        (i32.add (local.get $thr) (i32.mul (local.get $n1_1) (i32.const 8)))))
                    (i32.and
                      (f64.ne (local.get $v) (local.get $v))
                      (i32.shr_u (local.get $info) (i32.const 24)))))
                ;; Categorical: the code in the slot's low 9 bits picks a byte of the node's table (1: right).
                (i32.or
                  (local.get $right)
                  (i32.load8_u
                    (i32.add
                      (i32.load (i32.add (local.get $cat_offset) (i32.mul (local.get $n1_1) (i32.const 4))))
                      (i32.and
                        (i32.load16_u
                          (i32.add
                            (local.get $row1)
                            (i32.mul (i32.and (local.get $info) (i32.const 0xffffff)) (i32.const 8))))
                        (i32.const 0x1ff)))))
                (local.set $moved
                  (i32.or (i32.ne (local.tee $next (i32.add)) (local.get $n1_1)) (local.get $moved)))
                (local.set $n1_1 (local.get $next))
                ;; Lane n1_2: info = nodes[2 n1_2], v = row[info & 0xffffff]; pushes child + right.
                (local.set $info
                  (i32.load (i32.add (local.get $nodes) (i32.mul (local.get $n1_2) (i32.const 8)))))
                (local.set $v
                  (f64.load
                    (i32.add
                      (local.get $row1)
                      (i32.mul (i32.and (local.get $info) (i32.const 0xffffff)) (i32.const 8)))))
                (i32.load offset=4
                  (i32.add (local.get $nodes) (i32.mul (local.get $n1_2) (i32.const 8))))
                (local.set $right
                  (i32.or
                    (f64.gt
                      (local.get $v)
                      (f64.load
                        (i32.add (local.get $thr) (i32.mul (local.get $n1_2) (i32.const 8)))))
                    (i32.and
                      (f64.ne (local.get $v) (local.get $v))
                      (i32.shr_u (local.get $info) (i32.const 24)))))
                ;; Categorical: the code in the slot's low 9 bits picks a byte of the node's table (1: right).
                (i32.or
                  (local.get $right)
                  (i32.load8_u
                    (i32.add
                      (i32.load (i32.add (local.get $cat_offset) (i32.mul (local.get $n1_2) (i32.const 4))))
                      (i32.and
                        (i32.load16_u
                          (i32.add
                            (local.get $row1)
                            (i32.mul (i32.and (local.get $info) (i32.const 0xffffff)) (i32.const 8))))
                        (i32.const 0x1ff)))))
                (local.set $moved
                  (i32.or (i32.ne (local.tee $next (i32.add)) (local.get $n1_2)) (local.get $moved)))
                (local.set $n1_2 (local.get $next))
                ;; Lane n1_3: info = nodes[2 n1_3], v = row[info & 0xffffff]; pushes child + right.
                (local.set $info
                  (i32.load (i32.add (local.get $nodes) (i32.mul (local.get $n1_3) (i32.const 8)))))
                (local.set $v
                  (f64.load
                    (i32.add
                      (local.get $row1)
                      (i32.mul (i32.and (local.get $info) (i32.const 0xffffff)) (i32.const 8)))))
                (i32.load offset=4
                  (i32.add (local.get $nodes) (i32.mul (local.get $n1_3) (i32.const 8))))
                (local.set $right
                  (i32.or
                    (f64.gt
                      (local.get $v)
                      (f64.load
                        (i32.add (local.get $thr) (i32.mul (local.get $n1_3) (i32.const 8)))))
                    (i32.and
                      (f64.ne (local.get $v) (local.get $v))
                      (i32.shr_u (local.get $info) (i32.const 24)))))
                ;; Categorical: the code in the slot's low 9 bits picks a byte of the node's table (1: right).
                (i32.or
                  (local.get $right)
                  (i32.load8_u
                    (i32.add
                      (i32.load (i32.add (local.get $cat_offset) (i32.mul (local.get $n1_3) (i32.const 4))))
                      (i32.and
                        (i32.load16_u
                          (i32.add
                            (local.get $row1)
                            (i32.mul (i32.and (local.get $info) (i32.const 0xffffff)) (i32.const 8))))
                        (i32.const 0x1ff)))))
                (local.set $moved
                  (i32.or (i32.ne (local.tee $next (i32.add)) (local.get $n1_3)) (local.get $moved)))
                (local.set $n1_3 (local.get $next))
                (br_if $B4 (i32.eqz (local.get $moved)))
                (br_if $L5
                  (i32.lt_u
                    (local.tee $level (i32.add (local.get $level) (i32.const 1)))
                    (local.get $d)))))
            (f64.store
              (i32.add
                (local.get $out_row0)
                (i32.mul
                  (i32.load (i32.add (local.get $output_of) (i32.mul (local.get $t) (i32.const 4))))
                  (i32.const 8)))
              (f64.add
                (f64.load
                  (i32.add
                    (local.get $out_row0)
                    (i32.mul
                      (i32.load
                        (i32.add (local.get $output_of) (i32.mul (local.get $t) (i32.const 4))))
                      (i32.const 8))))
                (f64.load (i32.add (local.get $val) (i32.mul (local.get $n0_0) (i32.const 8))))))
            (f64.store
              (i32.add
                (local.get $out_row0)
                (i32.mul
                  (i32.load offset=4
                    (i32.add (local.get $output_of) (i32.mul (local.get $t) (i32.const 4))))
                  (i32.const 8)))
              (f64.add
                (f64.load
                  (i32.add
                    (local.get $out_row0)
                    (i32.mul
                      (i32.load offset=4
                        (i32.add (local.get $output_of) (i32.mul (local.get $t) (i32.const 4))))
                      (i32.const 8))))
                (f64.load (i32.add (local.get $val) (i32.mul (local.get $n0_1) (i32.const 8))))))
            (f64.store
              (i32.add
                (local.get $out_row0)
                (i32.mul
                  (i32.load offset=8
                    (i32.add (local.get $output_of) (i32.mul (local.get $t) (i32.const 4))))
                  (i32.const 8)))
              (f64.add
                (f64.load
                  (i32.add
                    (local.get $out_row0)
                    (i32.mul
                      (i32.load offset=8
                        (i32.add (local.get $output_of) (i32.mul (local.get $t) (i32.const 4))))
                      (i32.const 8))))
                (f64.load (i32.add (local.get $val) (i32.mul (local.get $n0_2) (i32.const 8))))))
            (f64.store
              (i32.add
                (local.get $out_row0)
                (i32.mul
                  (i32.load offset=12
                    (i32.add (local.get $output_of) (i32.mul (local.get $t) (i32.const 4))))
                  (i32.const 8)))
              (f64.add
                (f64.load
                  (i32.add
                    (local.get $out_row0)
                    (i32.mul
                      (i32.load offset=12
                        (i32.add (local.get $output_of) (i32.mul (local.get $t) (i32.const 4))))
                      (i32.const 8))))
                (f64.load (i32.add (local.get $val) (i32.mul (local.get $n0_3) (i32.const 8))))))
            (f64.store
              (i32.add
                (local.get $out_row1)
                (i32.mul
                  (i32.load (i32.add (local.get $output_of) (i32.mul (local.get $t) (i32.const 4))))
                  (i32.const 8)))
              (f64.add
                (f64.load
                  (i32.add
                    (local.get $out_row1)
                    (i32.mul
                      (i32.load
                        (i32.add (local.get $output_of) (i32.mul (local.get $t) (i32.const 4))))
                      (i32.const 8))))
                (f64.load (i32.add (local.get $val) (i32.mul (local.get $n1_0) (i32.const 8))))))
            (f64.store
              (i32.add
                (local.get $out_row1)
                (i32.mul
                  (i32.load offset=4
                    (i32.add (local.get $output_of) (i32.mul (local.get $t) (i32.const 4))))
                  (i32.const 8)))
              (f64.add
                (f64.load
                  (i32.add
                    (local.get $out_row1)
                    (i32.mul
                      (i32.load offset=4
                        (i32.add (local.get $output_of) (i32.mul (local.get $t) (i32.const 4))))
                      (i32.const 8))))
                (f64.load (i32.add (local.get $val) (i32.mul (local.get $n1_1) (i32.const 8))))))
            (f64.store
              (i32.add
                (local.get $out_row1)
                (i32.mul
                  (i32.load offset=8
                    (i32.add (local.get $output_of) (i32.mul (local.get $t) (i32.const 4))))
                  (i32.const 8)))
              (f64.add
                (f64.load
                  (i32.add
                    (local.get $out_row1)
                    (i32.mul
                      (i32.load offset=8
                        (i32.add (local.get $output_of) (i32.mul (local.get $t) (i32.const 4))))
                      (i32.const 8))))
                (f64.load (i32.add (local.get $val) (i32.mul (local.get $n1_2) (i32.const 8))))))
            (f64.store
              (i32.add
                (local.get $out_row1)
                (i32.mul
                  (i32.load offset=12
                    (i32.add (local.get $output_of) (i32.mul (local.get $t) (i32.const 4))))
                  (i32.const 8)))
              (f64.add
                (f64.load
                  (i32.add
                    (local.get $out_row1)
                    (i32.mul
                      (i32.load offset=12
                        (i32.add (local.get $output_of) (i32.mul (local.get $t) (i32.const 4))))
                      (i32.const 8))))
                (f64.load (i32.add (local.get $val) (i32.mul (local.get $n1_3) (i32.const 8))))))
            (local.set $t (i32.add (local.get $t) (i32.const 4)))
            (br $L3)))
        ;; The trees left over (fewer than four) one at a time, each to its full depth.
        (block $B30
          (br_if $B30 (i32.ge_u (local.get $t) (local.get $t1)))
          (loop $L31
            (local.set $n0_0
              (i32.load (i32.add (local.get $roots) (i32.mul (local.get $t) (i32.const 4)))))
            (local.set $n1_0 (local.get $n0_0))
            (local.set $d
              (i32.load (i32.add (local.get $depth) (i32.mul (local.get $t) (i32.const 4)))))
            (local.set $level (i32.const 0))
            (block $B32
              (br_if $B32 (i32.ge_u (local.get $level) (local.get $d)))
              (loop $L33
                ;; Lane n0_0: info = nodes[2 n0_0], v = row[info & 0xffffff]; pushes child + right.
                (local.set $info
                  (i32.load (i32.add (local.get $nodes) (i32.mul (local.get $n0_0) (i32.const 8)))))
                (local.set $v
                  (f64.load
                    (i32.add
                      (local.get $row0)
                      (i32.mul (i32.and (local.get $info) (i32.const 0xffffff)) (i32.const 8)))))
                (i32.load offset=4
                  (i32.add (local.get $nodes) (i32.mul (local.get $n0_0) (i32.const 8))))
                (local.set $right
                  (i32.or
                    (f64.gt
                      (local.get $v)
                      (f64.load
                        (i32.add (local.get $thr) (i32.mul (local.get $n0_0) (i32.const 8)))))
                    (i32.and
                      (f64.ne (local.get $v) (local.get $v))
                      (i32.shr_u (local.get $info) (i32.const 24)))))
                ;; Categorical: the code in the slot's low 9 bits picks a byte of the node's table (1: right).
                (i32.or
                  (local.get $right)
                  (i32.load8_u
                    (i32.add
                      (i32.load (i32.add (local.get $cat_offset) (i32.mul (local.get $n0_0) (i32.const 4))))
                      (i32.and
                        (i32.load16_u
                          (i32.add
                            (local.get $row0)
                            (i32.mul (i32.and (local.get $info) (i32.const 0xffffff)) (i32.const 8))))
                        (i32.const 0x1ff)))))
                (local.set $n0_0 (i32.add))
                ;; Lane n1_0: info = nodes[2 n1_0], v = row[info & 0xffffff]; pushes child + right.
                (local.set $info
                  (i32.load (i32.add (local.get $nodes) (i32.mul (local.get $n1_0) (i32.const 8)))))
                (local.set $v
                  (f64.load
                    (i32.add
                      (local.get $row1)
                      (i32.mul (i32.and (local.get $info) (i32.const 0xffffff)) (i32.const 8)))))
                (i32.load offset=4
                  (i32.add (local.get $nodes) (i32.mul (local.get $n1_0) (i32.const 8))))
                (local.set $right
                  (i32.or
                    (f64.gt
                      (local.get $v)
                      (f64.load
                        (i32.add (local.get $thr) (i32.mul (local.get $n1_0) (i32.const 8)))))
                    (i32.and
                      (f64.ne (local.get $v) (local.get $v))
                      (i32.shr_u (local.get $info) (i32.const 24)))))
                ;; Categorical: the code in the slot's low 9 bits picks a byte of the node's table (1: right).
                (i32.or
                  (local.get $right)
                  (i32.load8_u
                    (i32.add
                      (i32.load (i32.add (local.get $cat_offset) (i32.mul (local.get $n1_0) (i32.const 4))))
                      (i32.and
                        (i32.load16_u
                          (i32.add
                            (local.get $row1)
                            (i32.mul (i32.and (local.get $info) (i32.const 0xffffff)) (i32.const 8))))
                        (i32.const 0x1ff)))))
                (local.set $n1_0 (i32.add))
                (br_if $L33
                  (i32.lt_u
                    (local.tee $level (i32.add (local.get $level) (i32.const 1)))
                    (local.get $d)))))
            (f64.store
              (i32.add
                (local.get $out_row0)
                (i32.mul
                  (i32.load (i32.add (local.get $output_of) (i32.mul (local.get $t) (i32.const 4))))
                  (i32.const 8)))
              (f64.add
                (f64.load
                  (i32.add
                    (local.get $out_row0)
                    (i32.mul
                      (i32.load
                        (i32.add (local.get $output_of) (i32.mul (local.get $t) (i32.const 4))))
                      (i32.const 8))))
                (f64.load (i32.add (local.get $val) (i32.mul (local.get $n0_0) (i32.const 8))))))
            (f64.store
              (i32.add
                (local.get $out_row1)
                (i32.mul
                  (i32.load (i32.add (local.get $output_of) (i32.mul (local.get $t) (i32.const 4))))
                  (i32.const 8)))
              (f64.add
                (f64.load
                  (i32.add
                    (local.get $out_row1)
                    (i32.mul
                      (i32.load
                        (i32.add (local.get $output_of) (i32.mul (local.get $t) (i32.const 4))))
                      (i32.const 8))))
                (f64.load (i32.add (local.get $val) (i32.mul (local.get $n1_0) (i32.const 8))))))
            (br_if $L31
              (i32.lt_u (local.tee $t (i32.add (local.get $t) (i32.const 1))) (local.get $t1)))))
        (local.set $r (i32.add (local.get $r) (i32.const 2)))
        (br $L1)))
    ;; Then the last row alone: the same walk with one row (lanes n0_*).
    (block $B40
      (loop $L41
        (br_if $B40 (i32.gt_u (i32.add (local.get $r) (i32.const 1)) (local.get $n_rows)))
        (local.set $row0
          (i32.add
            (local.get $data)
            (i32.mul (i32.add (local.get $r) (i32.const 0)) (local.get $stride))))
        (local.set $out_row0
          (i32.add
            (local.get $out)
            (i32.mul
              (i32.mul (i32.add (local.get $r) (i32.const 0)) (local.get $width))
              (i32.const 8))))
        ;; Trees four at a time: every lane starts at its tree's root; d = the deepest of the four.
        (local.set $t (local.get $t0))
        (block $B42
          (loop $L43
            (br_if $B42 (i32.gt_u (i32.add (local.get $t) (i32.const 4)) (local.get $t1)))
            (local.set $n0_0
              (i32.load
                (i32.add
                  (local.get $roots)
                  (i32.mul (i32.add (local.get $t) (i32.const 0)) (i32.const 4)))))
            (local.set $n0_1
              (i32.load
                (i32.add
                  (local.get $roots)
                  (i32.mul (i32.add (local.get $t) (i32.const 1)) (i32.const 4)))))
            (local.set $n0_2
              (i32.load
                (i32.add
                  (local.get $roots)
                  (i32.mul (i32.add (local.get $t) (i32.const 2)) (i32.const 4)))))
            (local.set $n0_3
              (i32.load
                (i32.add
                  (local.get $roots)
                  (i32.mul (i32.add (local.get $t) (i32.const 3)) (i32.const 4)))))
            (local.set $d
              (i32.load (i32.add (local.get $depth) (i32.mul (local.get $t) (i32.const 4)))))
            (local.set $info
              (i32.load offset=4
                (i32.add (local.get $depth) (i32.mul (local.get $t) (i32.const 4)))))
            (local.set $d
              (select (local.get $info) (local.get $d) (i32.gt_u (local.get $info) (local.get $d))))
            (local.set $info
              (i32.load offset=8
                (i32.add (local.get $depth) (i32.mul (local.get $t) (i32.const 4)))))
            (local.set $d
              (select (local.get $info) (local.get $d) (i32.gt_u (local.get $info) (local.get $d))))
            (local.set $info
              (i32.load offset=12
                (i32.add (local.get $depth) (i32.mul (local.get $t) (i32.const 4)))))
            (local.set $d
              (select (local.get $info) (local.get $d) (i32.gt_u (local.get $info) (local.get $d))))
            ;; Up to d levels: every lane steps once; stop early when no lane moved.
            (local.set $level (i32.const 0))
            (block $B44
              (br_if $B44 (i32.ge_u (local.get $level) (local.get $d)))
              (loop $L45
                (local.set $moved (i32.const 0))
                ;; Lane n0_0: info = nodes[2 n0_0], v = row[info & 0xffffff]; pushes child + right.
                (local.set $info
                  (i32.load (i32.add (local.get $nodes) (i32.mul (local.get $n0_0) (i32.const 8)))))
                (local.set $v
                  (f64.load
                    (i32.add
                      (local.get $row0)
                      (i32.mul (i32.and (local.get $info) (i32.const 0xffffff)) (i32.const 8)))))
                (i32.load offset=4
                  (i32.add (local.get $nodes) (i32.mul (local.get $n0_0) (i32.const 8))))
                (local.set $right
                  (i32.or
                    (f64.gt
                      (local.get $v)
                      (f64.load
                        (i32.add (local.get $thr) (i32.mul (local.get $n0_0) (i32.const 8)))))
                    (i32.and
                      (f64.ne (local.get $v) (local.get $v))
                      (i32.shr_u (local.get $info) (i32.const 24)))))
                ;; Categorical: the code in the slot's low 9 bits picks a byte of the node's table (1: right).
                (i32.or
                  (local.get $right)
                  (i32.load8_u
                    (i32.add
                      (i32.load (i32.add (local.get $cat_offset) (i32.mul (local.get $n0_0) (i32.const 4))))
                      (i32.and
                        (i32.load16_u
                          (i32.add
                            (local.get $row0)
                            (i32.mul (i32.and (local.get $info) (i32.const 0xffffff)) (i32.const 8))))
                        (i32.const 0x1ff)))))
                (local.set $moved
                  (i32.or (i32.ne (local.tee $next (i32.add)) (local.get $n0_0)) (local.get $moved)))
                (local.set $n0_0 (local.get $next))
                ;; Lane n0_1: info = nodes[2 n0_1], v = row[info & 0xffffff]; pushes child + right.
                (local.set $info
                  (i32.load (i32.add (local.get $nodes) (i32.mul (local.get $n0_1) (i32.const 8)))))
                (local.set $v
                  (f64.load
                    (i32.add
                      (local.get $row0)
                      (i32.mul (i32.and (local.get $info) (i32.const 0xffffff)) (i32.const 8)))))
                (i32.load offset=4
                  (i32.add (local.get $nodes) (i32.mul (local.get $n0_1) (i32.const 8))))
                (local.set $right
                  (i32.or
                    (f64.gt
                      (local.get $v)
                      (f64.load
                        (i32.add (local.get $thr) (i32.mul (local.get $n0_1) (i32.const 8)))))
                    (i32.and
                      (f64.ne (local.get $v) (local.get $v))
                      (i32.shr_u (local.get $info) (i32.const 24)))))
                ;; Categorical: the code in the slot's low 9 bits picks a byte of the node's table (1: right).
                (i32.or
                  (local.get $right)
                  (i32.load8_u
                    (i32.add
                      (i32.load (i32.add (local.get $cat_offset) (i32.mul (local.get $n0_1) (i32.const 4))))
                      (i32.and
                        (i32.load16_u
                          (i32.add
                            (local.get $row0)
                            (i32.mul (i32.and (local.get $info) (i32.const 0xffffff)) (i32.const 8))))
                        (i32.const 0x1ff)))))
                (local.set $moved
                  (i32.or (i32.ne (local.tee $next (i32.add)) (local.get $n0_1)) (local.get $moved)))
                (local.set $n0_1 (local.get $next))
                ;; Lane n0_2: info = nodes[2 n0_2], v = row[info & 0xffffff]; pushes child + right.
                (local.set $info
                  (i32.load (i32.add (local.get $nodes) (i32.mul (local.get $n0_2) (i32.const 8)))))
                (local.set $v
                  (f64.load
                    (i32.add
                      (local.get $row0)
                      (i32.mul (i32.and (local.get $info) (i32.const 0xffffff)) (i32.const 8)))))
                (i32.load offset=4
                  (i32.add (local.get $nodes) (i32.mul (local.get $n0_2) (i32.const 8))))
                (local.set $right
                  (i32.or
                    (f64.gt
                      (local.get $v)
                      (f64.load
                        (i32.add (local.get $thr) (i32.mul (local.get $n0_2) (i32.const 8)))))
                    (i32.and
                      (f64.ne (local.get $v) (local.get $v))
                      (i32.shr_u (local.get $info) (i32.const 24)))))
                ;; Categorical: the code in the slot's low 9 bits picks a byte of the node's table (1: right).
                (i32.or
                  (local.get $right)
                  (i32.load8_u
                    (i32.add
                      (i32.load (i32.add (local.get $cat_offset) (i32.mul (local.get $n0_2) (i32.const 4))))
                      (i32.and
                        (i32.load16_u
                          (i32.add
                            (local.get $row0)
                            (i32.mul (i32.and (local.get $info) (i32.const 0xffffff)) (i32.const 8))))
                        (i32.const 0x1ff)))))
                (local.set $moved
                  (i32.or (i32.ne (local.tee $next (i32.add)) (local.get $n0_2)) (local.get $moved)))
                (local.set $n0_2 (local.get $next))
                ;; Lane n0_3: info = nodes[2 n0_3], v = row[info & 0xffffff]; pushes child + right.
                (local.set $info
                  (i32.load (i32.add (local.get $nodes) (i32.mul (local.get $n0_3) (i32.const 8)))))
                (local.set $v
                  (f64.load
                    (i32.add
                      (local.get $row0)
                      (i32.mul (i32.and (local.get $info) (i32.const 0xffffff)) (i32.const 8)))))
                (i32.load offset=4
                  (i32.add (local.get $nodes) (i32.mul (local.get $n0_3) (i32.const 8))))
                (local.set $right
                  (i32.or
                    (f64.gt
                      (local.get $v)
                      (f64.load
                        (i32.add (local.get $thr) (i32.mul (local.get $n0_3) (i32.const 8)))))
                    (i32.and
                      (f64.ne (local.get $v) (local.get $v))
                      (i32.shr_u (local.get $info) (i32.const 24)))))
                ;; Categorical: the code in the slot's low 9 bits picks a byte of the node's table (1: right).
                (i32.or
                  (local.get $right)
                  (i32.load8_u
                    (i32.add
                      (i32.load (i32.add (local.get $cat_offset) (i32.mul (local.get $n0_3) (i32.const 4))))
                      (i32.and
                        (i32.load16_u
                          (i32.add
                            (local.get $row0)
                            (i32.mul (i32.and (local.get $info) (i32.const 0xffffff)) (i32.const 8))))
                        (i32.const 0x1ff)))))
                (local.set $moved
                  (i32.or (i32.ne (local.tee $next (i32.add)) (local.get $n0_3)) (local.get $moved)))
                (local.set $n0_3 (local.get $next))
                (br_if $B44 (i32.eqz (local.get $moved)))
                (br_if $L45
                  (i32.lt_u
                    (local.tee $level (i32.add (local.get $level) (i32.const 1)))
                    (local.get $d)))))
            (f64.store
              (i32.add
                (local.get $out_row0)
                (i32.mul
                  (i32.load (i32.add (local.get $output_of) (i32.mul (local.get $t) (i32.const 4))))
                  (i32.const 8)))
              (f64.add
                (f64.load
                  (i32.add
                    (local.get $out_row0)
                    (i32.mul
                      (i32.load
                        (i32.add (local.get $output_of) (i32.mul (local.get $t) (i32.const 4))))
                      (i32.const 8))))
                (f64.load (i32.add (local.get $val) (i32.mul (local.get $n0_0) (i32.const 8))))))
            (f64.store
              (i32.add
                (local.get $out_row0)
                (i32.mul
                  (i32.load offset=4
                    (i32.add (local.get $output_of) (i32.mul (local.get $t) (i32.const 4))))
                  (i32.const 8)))
              (f64.add
                (f64.load
                  (i32.add
                    (local.get $out_row0)
                    (i32.mul
                      (i32.load offset=4
                        (i32.add (local.get $output_of) (i32.mul (local.get $t) (i32.const 4))))
                      (i32.const 8))))
                (f64.load (i32.add (local.get $val) (i32.mul (local.get $n0_1) (i32.const 8))))))
            (f64.store
              (i32.add
                (local.get $out_row0)
                (i32.mul
                  (i32.load offset=8
                    (i32.add (local.get $output_of) (i32.mul (local.get $t) (i32.const 4))))
                  (i32.const 8)))
              (f64.add
                (f64.load
                  (i32.add
                    (local.get $out_row0)
                    (i32.mul
                      (i32.load offset=8
                        (i32.add (local.get $output_of) (i32.mul (local.get $t) (i32.const 4))))
                      (i32.const 8))))
                (f64.load (i32.add (local.get $val) (i32.mul (local.get $n0_2) (i32.const 8))))))
            (f64.store
              (i32.add
                (local.get $out_row0)
                (i32.mul
                  (i32.load offset=12
                    (i32.add (local.get $output_of) (i32.mul (local.get $t) (i32.const 4))))
                  (i32.const 8)))
              (f64.add
                (f64.load
                  (i32.add
                    (local.get $out_row0)
                    (i32.mul
                      (i32.load offset=12
                        (i32.add (local.get $output_of) (i32.mul (local.get $t) (i32.const 4))))
                      (i32.const 8))))
                (f64.load (i32.add (local.get $val) (i32.mul (local.get $n0_3) (i32.const 8))))))
            (local.set $t (i32.add (local.get $t) (i32.const 4)))
            (br $L43)))
        ;; The trees left over (fewer than four) one at a time, each to its full depth.
        (block $B58
          (br_if $B58 (i32.ge_u (local.get $t) (local.get $t1)))
          (loop $L59
            (local.set $n0_0
              (i32.load (i32.add (local.get $roots) (i32.mul (local.get $t) (i32.const 4)))))
            (local.set $d
              (i32.load (i32.add (local.get $depth) (i32.mul (local.get $t) (i32.const 4)))))
            (local.set $level (i32.const 0))
            (block $B60
              (br_if $B60 (i32.ge_u (local.get $level) (local.get $d)))
              (loop $L61
                ;; Lane n0_0: info = nodes[2 n0_0], v = row[info & 0xffffff]; pushes child + right.
                (local.set $info
                  (i32.load (i32.add (local.get $nodes) (i32.mul (local.get $n0_0) (i32.const 8)))))
                (local.set $v
                  (f64.load
                    (i32.add
                      (local.get $row0)
                      (i32.mul (i32.and (local.get $info) (i32.const 0xffffff)) (i32.const 8)))))
                (i32.load offset=4
                  (i32.add (local.get $nodes) (i32.mul (local.get $n0_0) (i32.const 8))))
                (local.set $right
                  (i32.or
                    (f64.gt
                      (local.get $v)
                      (f64.load
                        (i32.add (local.get $thr) (i32.mul (local.get $n0_0) (i32.const 8)))))
                    (i32.and
                      (f64.ne (local.get $v) (local.get $v))
                      (i32.shr_u (local.get $info) (i32.const 24)))))
                ;; Categorical: the code in the slot's low 9 bits picks a byte of the node's table (1: right).
                (i32.or
                  (local.get $right)
                  (i32.load8_u
                    (i32.add
                      (i32.load (i32.add (local.get $cat_offset) (i32.mul (local.get $n0_0) (i32.const 4))))
                      (i32.and
                        (i32.load16_u
                          (i32.add
                            (local.get $row0)
                            (i32.mul (i32.and (local.get $info) (i32.const 0xffffff)) (i32.const 8))))
                        (i32.const 0x1ff)))))
                (local.set $n0_0 (i32.add))
                (br_if $L61
                  (i32.lt_u
                    (local.tee $level (i32.add (local.get $level) (i32.const 1)))
                    (local.get $d)))))
            (f64.store
              (i32.add
                (local.get $out_row0)
                (i32.mul
                  (i32.load (i32.add (local.get $output_of) (i32.mul (local.get $t) (i32.const 4))))
                  (i32.const 8)))
              (f64.add
                (f64.load
                  (i32.add
                    (local.get $out_row0)
                    (i32.mul
                      (i32.load
                        (i32.add (local.get $output_of) (i32.mul (local.get $t) (i32.const 4))))
                      (i32.const 8))))
                (f64.load (i32.add (local.get $val) (i32.mul (local.get $n0_0) (i32.const 8))))))
            (br_if $L59
              (i32.lt_u (local.tee $t (i32.add (local.get $t) (i32.const 1))) (local.get $t1)))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $L41)))))
