;; Distance kernels for vsetd's HNSW engine, hand-written WebAssembly (SIMD128 + threads).
;;
;; Compiled at build time by scripts/build-wasm.mjs with the `wabt` package; never downloaded.
;;
;; Every function takes two *record* offsets into the set's shared linear memory. A record is
;; a node of the graph (or a reader's query scratch slot, which has the same shape), laid out
;; by src/hnsw/layout.ts:
;;
;;   +0   u32  meta            (not read here)
;;   +4   f32  l2              (not read here)
;;   +8   f32  range           Q8 only: the max-abs value of the normalised vector
;;   +12  u32  element ref     (not read here)
;;   +16  u32  upper links ref (not read here)
;;   +20  vector bytes, `vecBytes` long (a multiple of 16, zero padded past the real data)
;;
;; Because the query lives in the same memory as the nodes, one exported call computes one
;; distance with no copying; JS calls it once per neighbour. (A batched "whole neighbour list"
;; variant was measured and was not faster: the ids then have to be written into memory first.)
;;
;; The per-set constants are imported immutable globals, so each (thread, set) instance is
;; specialised and the exported functions take just (a, b).
;;
;; Float results must equal what the reference computes in C floats:
;;  - Q8:  the integer dot product is exact whatever the summation order, and the scale is
;;         applied exactly as the reference does: d = 1 - float(dot) * ((ra/127) * (rb/127)),
;;         then clamped to [0, 2]. Bit-exact for every dimension.
;;  - BIN: d = float(popcount) * 2 / float(dim). Bit-exact.
;;  - F32: below 16 dimensions we follow the reference's scalar order exactly (two partial
;;         sums over blocks of 8, tail into the first); from 16 dimensions up the reference
;;         itself switches to AVX kernels whose last bits differ, and so do we (lane-wise sums).
(module
  (import "env" "memory" (memory 1 65536 shared))
  (import "env" "vecBytes" (global $vecBytes i32))
  (import "env" "dim" (global $dim i32))
  (import "env" "recBase" (global $recBase i32))
  (import "env" "stride" (global $stride i32))
  ;; Where the set's header lies in the memory (0 for a set of its own; an arena set's block
  ;; offset otherwise): every offset passed in is relative to it, as the engine's views are.
  ;; Mutable, so one instance per (thread, memory, geometry) serves every arena set alike.
  (import "env" "base" (global $base (mut i32)))
  ;; walk above level 0: (slot, level) → the node's link list at that level copied to the
  ;; walk's list area, returns its length (writer-zone.ts upperLinks).
  (import "env" "upperLinks" (func $upperLinks (param i32 i32) (result i32)))

  ;; ---------------------------------------------------------------------------------------
  ;; Q8: int8 quants, per-vector range.
  (func $distQ8 (export "distQ8") (param $a i32) (param $b i32) (result f32)
    (local $ra f32) (local $rb f32) (local $pa i32) (local $pb i32) (local $end i32)
    (local $va v128) (local $vb v128) (local $acc v128) (local $acc2 v128) (local $d f32)
    (local.set $a (i32.add (local.get $a) (global.get $base)))
    (local.set $b (i32.add (local.get $b) (global.get $base)))
    (local.set $ra (f32.load offset=8 (local.get $a)))
    (local.set $rb (f32.load offset=8 (local.get $b)))
    ;; A zero vector has range 0: its distance to anything is exactly 1 (score 0.5).
    (if (i32.or (f32.eq (local.get $ra) (f32.const 0)) (f32.eq (local.get $rb) (f32.const 0)))
      (then (return (f32.const 1))))
    (local.set $pa (i32.add (local.get $a) (i32.const 20)))
    (local.set $pb (i32.add (local.get $b) (i32.const 20)))
    (local.set $end (i32.add (local.get $pa) (global.get $vecBytes)))
    ;; 16 quants per step. vecBytes >= 16, so a do-while is safe. Two ways, the faster for the
    ;; size (measured per distance on x64, V8 11.3, vectors in cache):
    (if (i32.ge_u (global.get $vecBytes) (i32.const 256))
      (then
        ;; Long vectors: sign-extend each half to i16 and multiply-add pairs straight into i32
        ;; lanes (i32x4.dot_i16x8_s is one pmaddwd), two independent accumulators so the adds
        ;; overlap: 1024 dims 74 ns against 100 ns, 768 dims 56 against 68.
        (loop $long
          (local.set $va (v128.load (local.get $pa)))
          (local.set $vb (v128.load (local.get $pb)))
          (local.set $acc (i32x4.add (local.get $acc)
            (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $va)) (i16x8.extend_low_i8x16_s (local.get $vb)))))
          (local.set $acc2 (i32x4.add (local.get $acc2)
            (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $va)) (i16x8.extend_high_i8x16_s (local.get $vb)))))
          (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
          (local.set $pb (i32.add (local.get $pb) (i32.const 16)))
          (br_if $long (i32.lt_u (local.get $pa) (local.get $end))))
        (local.set $acc (i32x4.add (local.get $acc) (local.get $acc2))))
      (else
        ;; Short vectors (128 dims: 16 ns against 18 for the above): widen to i16 products
        ;; (|q| <= 127, so products fit), then add adjacent pairs into i32 lanes.
        (loop $step
          (local.set $va (v128.load (local.get $pa)))
          (local.set $vb (v128.load (local.get $pb)))
          (local.set $acc
            (i32x4.add (local.get $acc)
              (i32x4.add
                (i32x4.extadd_pairwise_i16x8_s (i16x8.extmul_low_i8x16_s (local.get $va) (local.get $vb)))
                (i32x4.extadd_pairwise_i16x8_s (i16x8.extmul_high_i8x16_s (local.get $va) (local.get $vb))))))
          (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
          (local.set $pb (i32.add (local.get $pb) (i32.const 16)))
          (br_if $step (i32.lt_u (local.get $pa) (local.get $end))))))
    (call $finishQ8 (call $laneSum (local.get $acc)) (local.get $ra) (local.get $rb)))

  ;; distQ8 for four neighbours at once (vecBytes >= 128): the distances of the four slots listed
  ;; at $list (absolute; only read) to the record at $q, as f32 lanes in list order. Each block of
  ;; the query is loaded and widened once for the four; the dot products are exact integers
  ;; whatever the order, finished as distQ8 finishes them: the same floats.
  (func $quadQ8 (param $q i32) (param $list i32) (result v128)
    (local $pq i32) (local $end i32) (local $p0 i32) (local $p1 i32) (local $p2 i32) (local $p3 i32)
    (local $vq v128) (local $ql v128) (local $qh v128) (local $v v128)
    (local $a0 v128) (local $b0 v128) (local $a1 v128) (local $b1 v128)
    (local $a2 v128) (local $b2 v128) (local $a3 v128) (local $b3 v128)
    (local $rq f32)
    (local.set $q (i32.add (local.get $q) (global.get $base)))
    (local.set $p0 (i32.add (global.get $base) (i32.add (global.get $recBase) (i32.mul (i32.load (local.get $list)) (global.get $stride)))))
    (local.set $p1 (i32.add (global.get $base) (i32.add (global.get $recBase) (i32.mul (i32.load offset=4 (local.get $list)) (global.get $stride)))))
    (local.set $p2 (i32.add (global.get $base) (i32.add (global.get $recBase) (i32.mul (i32.load offset=8 (local.get $list)) (global.get $stride)))))
    (local.set $p3 (i32.add (global.get $base) (i32.add (global.get $recBase) (i32.mul (i32.load offset=12 (local.get $list)) (global.get $stride)))))
    (local.set $pq (i32.add (local.get $q) (i32.const 20)))
    (local.set $end (i32.add (local.get $pq) (global.get $vecBytes)))
    (loop $step
      (local.set $vq (v128.load (local.get $pq)))
      (local.set $ql (i16x8.extend_low_i8x16_s (local.get $vq)))
      (local.set $qh (i16x8.extend_high_i8x16_s (local.get $vq)))
      (local.set $v (v128.load offset=20 (local.get $p0)))
      (local.set $a0 (i32x4.add (local.get $a0) (i32x4.dot_i16x8_s (local.get $ql) (i16x8.extend_low_i8x16_s (local.get $v)))))
      (local.set $b0 (i32x4.add (local.get $b0) (i32x4.dot_i16x8_s (local.get $qh) (i16x8.extend_high_i8x16_s (local.get $v)))))
      (local.set $v (v128.load offset=20 (local.get $p1)))
      (local.set $a1 (i32x4.add (local.get $a1) (i32x4.dot_i16x8_s (local.get $ql) (i16x8.extend_low_i8x16_s (local.get $v)))))
      (local.set $b1 (i32x4.add (local.get $b1) (i32x4.dot_i16x8_s (local.get $qh) (i16x8.extend_high_i8x16_s (local.get $v)))))
      (local.set $v (v128.load offset=20 (local.get $p2)))
      (local.set $a2 (i32x4.add (local.get $a2) (i32x4.dot_i16x8_s (local.get $ql) (i16x8.extend_low_i8x16_s (local.get $v)))))
      (local.set $b2 (i32x4.add (local.get $b2) (i32x4.dot_i16x8_s (local.get $qh) (i16x8.extend_high_i8x16_s (local.get $v)))))
      (local.set $v (v128.load offset=20 (local.get $p3)))
      (local.set $a3 (i32x4.add (local.get $a3) (i32x4.dot_i16x8_s (local.get $ql) (i16x8.extend_low_i8x16_s (local.get $v)))))
      (local.set $b3 (i32x4.add (local.get $b3) (i32x4.dot_i16x8_s (local.get $qh) (i16x8.extend_high_i8x16_s (local.get $v)))))
      (local.set $pq (i32.add (local.get $pq) (i32.const 16)))
      (local.set $p0 (i32.add (local.get $p0) (i32.const 16)))
      (local.set $p1 (i32.add (local.get $p1) (i32.const 16)))
      (local.set $p2 (i32.add (local.get $p2) (i32.const 16)))
      (local.set $p3 (i32.add (local.get $p3) (i32.const 16)))
      (br_if $step (i32.lt_u (local.get $pq) (local.get $end))))
    ;; The pointers went past the vectors by vecBytes: the ranges are at +8 of each record.
    (local.set $rq (f32.load offset=8 (local.get $q)))
    (f32x4.replace_lane 3
      (f32x4.replace_lane 2
        (f32x4.replace_lane 1
          (f32x4.splat (call $finishQ8 (call $laneSum (i32x4.add (local.get $a0) (local.get $b0))) (local.get $rq)
            (f32.load offset=8 (i32.sub (local.get $p0) (global.get $vecBytes)))))
          (call $finishQ8 (call $laneSum (i32x4.add (local.get $a1) (local.get $b1))) (local.get $rq)
            (f32.load offset=8 (i32.sub (local.get $p1) (global.get $vecBytes)))))
        (call $finishQ8 (call $laneSum (i32x4.add (local.get $a2) (local.get $b2))) (local.get $rq)
          (f32.load offset=8 (i32.sub (local.get $p2) (global.get $vecBytes)))))
      (call $finishQ8 (call $laneSum (i32x4.add (local.get $a3) (local.get $b3))) (local.get $rq)
        (f32.load offset=8 (i32.sub (local.get $p3) (global.get $vecBytes))))))

  ;; walk's four at a time: the dot products of the widened query at $qw (absolute: i16 per
  ;; quant) with the vectors of the four slots listed at $batch (absolute) from entry $at, one a lane.
  (func $quadDots (param $qw i32) (param $batch i32) (param $at i32) (result v128)
    (local $pq i32) (local $end i32) (local $p0 i32) (local $p1 i32) (local $p2 i32) (local $p3 i32)
    (local $ql v128) (local $qh v128) (local $v v128)
    (local $a0 v128) (local $b0 v128) (local $a1 v128) (local $b1 v128)
    (local $a2 v128) (local $b2 v128) (local $a3 v128) (local $b3 v128)
    (local.set $batch (i32.add (local.get $batch) (i32.shl (local.get $at) (i32.const 2))))
    (local.set $p0 (i32.add (global.get $base) (i32.add (global.get $recBase) (i32.mul (i32.load (local.get $batch)) (global.get $stride)))))
    (local.set $p1 (i32.add (global.get $base) (i32.add (global.get $recBase) (i32.mul (i32.load offset=4 (local.get $batch)) (global.get $stride)))))
    (local.set $p2 (i32.add (global.get $base) (i32.add (global.get $recBase) (i32.mul (i32.load offset=8 (local.get $batch)) (global.get $stride)))))
    (local.set $p3 (i32.add (global.get $base) (i32.add (global.get $recBase) (i32.mul (i32.load offset=12 (local.get $batch)) (global.get $stride)))))
    (local.set $pq (local.get $qw))
    (local.set $end (i32.add (local.get $pq) (i32.shl (global.get $vecBytes) (i32.const 1))))
    (loop $step
      (local.set $ql (v128.load (local.get $pq)))
      (local.set $qh (v128.load offset=16 (local.get $pq)))
      (local.set $v (v128.load offset=20 (local.get $p0)))
      (local.set $a0 (i32x4.add (local.get $a0) (i32x4.dot_i16x8_s (local.get $ql) (i16x8.extend_low_i8x16_s (local.get $v)))))
      (local.set $b0 (i32x4.add (local.get $b0) (i32x4.dot_i16x8_s (local.get $qh) (i16x8.extend_high_i8x16_s (local.get $v)))))
      (local.set $v (v128.load offset=20 (local.get $p1)))
      (local.set $a1 (i32x4.add (local.get $a1) (i32x4.dot_i16x8_s (local.get $ql) (i16x8.extend_low_i8x16_s (local.get $v)))))
      (local.set $b1 (i32x4.add (local.get $b1) (i32x4.dot_i16x8_s (local.get $qh) (i16x8.extend_high_i8x16_s (local.get $v)))))
      (local.set $v (v128.load offset=20 (local.get $p2)))
      (local.set $a2 (i32x4.add (local.get $a2) (i32x4.dot_i16x8_s (local.get $ql) (i16x8.extend_low_i8x16_s (local.get $v)))))
      (local.set $b2 (i32x4.add (local.get $b2) (i32x4.dot_i16x8_s (local.get $qh) (i16x8.extend_high_i8x16_s (local.get $v)))))
      (local.set $v (v128.load offset=20 (local.get $p3)))
      (local.set $a3 (i32x4.add (local.get $a3) (i32x4.dot_i16x8_s (local.get $ql) (i16x8.extend_low_i8x16_s (local.get $v)))))
      (local.set $b3 (i32x4.add (local.get $b3) (i32x4.dot_i16x8_s (local.get $qh) (i16x8.extend_high_i8x16_s (local.get $v)))))
      (local.set $pq (i32.add (local.get $pq) (i32.const 32)))
      (local.set $p0 (i32.add (local.get $p0) (i32.const 16)))
      (local.set $p1 (i32.add (local.get $p1) (i32.const 16)))
      (local.set $p2 (i32.add (local.get $p2) (i32.const 16)))
      (local.set $p3 (i32.add (local.get $p3) (i32.const 16)))
      (br_if $step (i32.lt_u (local.get $pq) (local.get $end))))
    (i32x4.replace_lane 3
      (i32x4.replace_lane 2
        (i32x4.replace_lane 1
          (i32x4.splat (call $laneSum (i32x4.add (local.get $a0) (local.get $b0))))
          (call $laneSum (i32x4.add (local.get $a1) (local.get $b1))))
        (call $laneSum (i32x4.add (local.get $a2) (local.get $b2))))
      (call $laneSum (i32x4.add (local.get $a3) (local.get $b3)))))

  (func $laneSum (param $v v128) (result i32)
    (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $v)) (i32x4.extract_lane 1 (local.get $v)))
      (i32.add (i32x4.extract_lane 2 (local.get $v)) (i32x4.extract_lane 3 (local.get $v)))))

  ;; A Q8 distance from its integer dot product, as the reference computes it (every Q8 kernel
  ;; but walk's inlined copy ends here): a zero range gives 1; else
  ;; 1 - dot · ((ra/127)·(rb/127)), clamped to [0, 2].
  (func $finishQ8 (param $dot i32) (param $ra f32) (param $rb f32) (result f32)
    (local $d f32)
    (if (i32.or (f32.eq (local.get $ra) (f32.const 0)) (f32.eq (local.get $rb) (f32.const 0)))
      (then (return (f32.const 1))))
    (local.set $d
      (f32.sub (f32.const 1)
        (f32.mul
          (f32.convert_i32_s (local.get $dot))
          (f32.mul
            (f32.div (local.get $ra) (f32.const 127))
            (f32.div (local.get $rb) (f32.const 127))))))
    (if (f32.lt (local.get $d) (f32.const 0)) (then (return (f32.const 0))))
    (if (f32.gt (local.get $d) (f32.const 2)) (then (return (f32.const 2))))
    (local.get $d))

  ;; ---------------------------------------------------------------------------------------
  ;; BIN: sign bits packed in 64-bit words; Hamming distance scaled to [0, 2].
  (func $distBin (export "distBin") (param $a i32) (param $b i32) (result f32)
    (local $pa i32) (local $pb i32) (local $end i32) (local $ones i64)
    (local.set $a (i32.add (local.get $a) (global.get $base)))
    (local.set $b (i32.add (local.get $b) (global.get $base)))
    (local.set $pa (i32.add (local.get $a) (i32.const 20)))
    (local.set $pb (i32.add (local.get $b) (i32.const 20)))
    ;; ceil(dim/64) words; the unused high bits of the last word are 0 in every vector, and the
    ;; zero padding up to vecBytes is never read.
    (local.set $end (i32.add (local.get $pa)
      (i32.shl (i32.shr_u (i32.add (global.get $dim) (i32.const 63)) (i32.const 6)) (i32.const 3))))
    (loop $step
      (local.set $ones (i64.add (local.get $ones)
        (i64.popcnt (i64.xor (i64.load (local.get $pa)) (i64.load (local.get $pb))))))
      (local.set $pa (i32.add (local.get $pa) (i32.const 8)))
      (local.set $pb (i32.add (local.get $pb) (i32.const 8)))
      (br_if $step (i32.lt_u (local.get $pa) (local.get $end))))
    (f32.div
      (f32.mul (f32.convert_i64_u (local.get $ones)) (f32.const 2))
      (f32.convert_i32_u (global.get $dim))))

  ;; ---------------------------------------------------------------------------------------
  ;; NOQUANT: float32 dot product of normalised vectors; d = 1 - dot, not clamped.
  (func $distF32 (export "distF32") (param $a i32) (param $b i32) (result f32)
    (local $pa i32) (local $pb i32) (local $end i32) (local $i i32)
    (local $acc0 v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128) (local $dot0 f32) (local $dot1 f32)
    (local.set $a (i32.add (local.get $a) (global.get $base)))
    (local.set $b (i32.add (local.get $b) (global.get $base)))
    (local.set $pa (i32.add (local.get $a) (i32.const 20)))
    (local.set $pb (i32.add (local.get $b) (i32.const 20)))
    (if (i32.lt_u (global.get $dim) (i32.const 16))
      (then
        ;; The reference's scalar order, bit for bit: blocks of 8 into two partial sums, each
        ;; block summed left to right before it is added; the tail goes into dot0.
        (block $blocks_done
          (loop $block
            (br_if $blocks_done (i32.gt_u (i32.add (local.get $i) (i32.const 8)) (global.get $dim)))
            (local.set $dot0 (f32.add (local.get $dot0)
              (f32.add (f32.add (f32.add
                (f32.mul (f32.load offset=0 (local.get $pa)) (f32.load offset=0 (local.get $pb)))
                (f32.mul (f32.load offset=4 (local.get $pa)) (f32.load offset=4 (local.get $pb))))
                (f32.mul (f32.load offset=8 (local.get $pa)) (f32.load offset=8 (local.get $pb))))
                (f32.mul (f32.load offset=12 (local.get $pa)) (f32.load offset=12 (local.get $pb))))))
            (local.set $dot1 (f32.add (local.get $dot1)
              (f32.add (f32.add (f32.add
                (f32.mul (f32.load offset=16 (local.get $pa)) (f32.load offset=16 (local.get $pb)))
                (f32.mul (f32.load offset=20 (local.get $pa)) (f32.load offset=20 (local.get $pb))))
                (f32.mul (f32.load offset=24 (local.get $pa)) (f32.load offset=24 (local.get $pb))))
                (f32.mul (f32.load offset=28 (local.get $pa)) (f32.load offset=28 (local.get $pb))))))
            (local.set $pa (i32.add (local.get $pa) (i32.const 32)))
            (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
            (local.set $i (i32.add (local.get $i) (i32.const 8)))
            (br $block)))
        (block $tail_done
          (loop $tail
            (br_if $tail_done (i32.ge_u (local.get $i) (global.get $dim)))
            (local.set $dot0 (f32.add (local.get $dot0)
              (f32.mul (f32.load (local.get $pa)) (f32.load (local.get $pb)))))
            (local.set $pa (i32.add (local.get $pa) (i32.const 4)))
            (local.set $pb (i32.add (local.get $pb) (i32.const 4)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $tail)))
        (return (f32.sub (f32.const 1) (f32.add (local.get $dot0) (local.get $dot1))))))
    ;; 16 dimensions or more: four lane-wise accumulators over 16 floats per step (one chain of
    ;; dependent adds each: two chains took 16 steps of add latency at 128 dims), then an
    ;; optional 8-float and 4-float tail (vecBytes is a multiple of 16 and the padding is zero).
    (local.set $end (i32.add (local.get $pa) (i32.and (global.get $vecBytes) (i32.const -64))))
    (loop $step
      (local.set $acc0 (f32x4.add (local.get $acc0)
        (f32x4.mul (v128.load (local.get $pa)) (v128.load (local.get $pb)))))
      (local.set $acc1 (f32x4.add (local.get $acc1)
        (f32x4.mul (v128.load offset=16 (local.get $pa)) (v128.load offset=16 (local.get $pb)))))
      (local.set $acc2 (f32x4.add (local.get $acc2)
        (f32x4.mul (v128.load offset=32 (local.get $pa)) (v128.load offset=32 (local.get $pb)))))
      (local.set $acc3 (f32x4.add (local.get $acc3)
        (f32x4.mul (v128.load offset=48 (local.get $pa)) (v128.load offset=48 (local.get $pb)))))
      (local.set $pa (i32.add (local.get $pa) (i32.const 64)))
      (local.set $pb (i32.add (local.get $pb) (i32.const 64)))
      (br_if $step (i32.lt_u (local.get $pa) (local.get $end))))
    (if (i32.and (global.get $vecBytes) (i32.const 32))
      (then
        (local.set $acc0 (f32x4.add (local.get $acc0)
          (f32x4.mul (v128.load (local.get $pa)) (v128.load (local.get $pb)))))
        (local.set $acc1 (f32x4.add (local.get $acc1)
          (f32x4.mul (v128.load offset=16 (local.get $pa)) (v128.load offset=16 (local.get $pb)))))
        (local.set $pa (i32.add (local.get $pa) (i32.const 32)))
        (local.set $pb (i32.add (local.get $pb) (i32.const 32)))))
    (if (i32.and (global.get $vecBytes) (i32.const 16))
      (then (local.set $acc2 (f32x4.add (local.get $acc2)
        (f32x4.mul (v128.load (local.get $pa)) (v128.load (local.get $pb)))))))
    (local.set $acc0 (f32x4.add (f32x4.add (local.get $acc0) (local.get $acc1)) (f32x4.add (local.get $acc2) (local.get $acc3))))
    (f32.sub (f32.const 1)
      (f32.add
        (f32.add (f32x4.extract_lane 0 (local.get $acc0)) (f32x4.extract_lane 1 (local.get $acc0)))
        (f32.add (f32x4.extract_lane 2 (local.get $acc0)) (f32x4.extract_lane 3 (local.get $acc0))))))
;; ---------------------------------------------------------------------------------------
  ;; RAW L2 (the query engine's L2 vector fields): float32 vectors as given; d = squared
  ;; Euclidean distance, as RediSearch reports it. Lane-wise sums (the zero padding adds 0).
  (func $distL2 (export "distL2") (param $a i32) (param $b i32) (result f32)
    (local $pa i32) (local $pb i32) (local $end i32)
    (local $acc0 v128) (local $acc1 v128) (local $d v128)
    (local.set $pa (i32.add (i32.add (local.get $a) (global.get $base)) (i32.const 20)))
    (local.set $pb (i32.add (i32.add (local.get $b) (global.get $base)) (i32.const 20)))
    (local.set $end (i32.add (local.get $pa) (i32.and (global.get $vecBytes) (i32.const -32))))
    (block $steps_done
      (loop $step
        (br_if $steps_done (i32.ge_u (local.get $pa) (local.get $end)))
        (local.set $d (f32x4.sub (v128.load (local.get $pa)) (v128.load (local.get $pb))))
        (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $d (f32x4.sub (v128.load offset=16 (local.get $pa)) (v128.load offset=16 (local.get $pb))))
        (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $pa (i32.add (local.get $pa) (i32.const 32)))
        (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
        (br $step)))
    (if (i32.and (global.get $vecBytes) (i32.const 16))
      (then
        (local.set $d (f32x4.sub (v128.load (local.get $pa)) (v128.load (local.get $pb))))
        (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $d) (local.get $d))))))
    (local.set $acc0 (f32x4.add (local.get $acc0) (local.get $acc1)))
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $acc0)) (f32x4.extract_lane 1 (local.get $acc0)))
      (f32.add (f32x4.extract_lane 2 (local.get $acc0)) (f32x4.extract_lane 3 (local.get $acc0)))))

;; ---------------------------------------------------------------------------------------
  ;; Batches: `n` node slots stored as i32 at `list` are replaced, in place, by their f32
  ;; distances to the record at `q`. One call per neighbour list instead of one per neighbour
  ;; saves the JS→WebAssembly call overhead on every distance.
  (func (export "batchQ8") (param $q i32) (param $list i32) (param $n i32)
    (local $end i32)
    (local.set $list (i32.add (local.get $list) (global.get $base)))
    (local.set $end (i32.add (local.get $list) (i32.shl (local.get $n) (i32.const 2))))
    ;; From 128 quants, four neighbours at a time (the rest one by one): each block of the query is
    ;; loaded and widened once for the four, and their vectors stream side by side (VSIM at 128
    ;; dims 5-15 % faster than one at a time, at 1024 dims 20-25 %). walk does this from 256 only: at 128 its
    ;; one-at-a-time loop with the next vector touched ahead was as fast.
    (if (i32.ge_u (global.get $vecBytes) (i32.const 128))
      (then
        (block $quads_done
          (loop $quad
            (br_if $quads_done (i32.gt_u (i32.add (local.get $list) (i32.const 16)) (local.get $end)))
            (v128.store (local.get $list) (call $quadQ8 (local.get $q) (local.get $list)))
            (local.set $list (i32.add (local.get $list) (i32.const 16)))
            (br $quad)))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $list) (local.get $end)))
        (f32.store (local.get $list)
          (call $distQ8 (local.get $q)
            (i32.add (global.get $recBase) (i32.mul (i32.load (local.get $list)) (global.get $stride)))))
        (local.set $list (i32.add (local.get $list) (i32.const 4)))
        (br $next))))
  (func (export "batchBin") (param $q i32) (param $list i32) (param $n i32)
    (local $end i32)
    (local.set $list (i32.add (local.get $list) (global.get $base)))
    (local.set $end (i32.add (local.get $list) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $list) (local.get $end)))
        (f32.store (local.get $list)
          (call $distBin (local.get $q)
            (i32.add (global.get $recBase) (i32.mul (i32.load (local.get $list)) (global.get $stride)))))
        (local.set $list (i32.add (local.get $list) (i32.const 4)))
        (br $next))))
  (func (export "batchF32") (param $q i32) (param $list i32) (param $n i32)
    (local $end i32)
    (local.set $list (i32.add (local.get $list) (global.get $base)))
    (local.set $end (i32.add (local.get $list) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $list) (local.get $end)))
        (f32.store (local.get $list)
          (call $distF32 (local.get $q)
            (i32.add (global.get $recBase) (i32.mul (i32.load (local.get $list)) (global.get $stride)))))
        (local.set $list (i32.add (local.get $list) (i32.const 4)))
        (br $next))))
  (func (export "batchL2") (param $q i32) (param $list i32) (param $n i32)
    (local $end i32)
    (local.set $list (i32.add (local.get $list) (global.get $base)))
    (local.set $end (i32.add (local.get $list) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $list) (local.get $end)))
        (f32.store (local.get $list)
          (call $distL2 (local.get $q)
            (i32.add (global.get $recBase) (i32.mul (i32.load (local.get $list)) (global.get $stride)))))
        (local.set $list (i32.add (local.get $list) (i32.const 4)))
        (br $next))))

  ;; #include kernels-walk.wati
)
