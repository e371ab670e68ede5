;; The level-0 half of the image link check (link-check.ts, checkLinks) and the node records' own
;; checks (records0, at the end) in WebAssembly, over the set's records memory. Why: a snapshot load runs this loop once per process, so in JavaScript
;; it mostly ran before V8 had optimised it (a 100k-node load spent 80–120 ms here, ~40 ms warm,
;; waiting for a 27 ms TurboFan compile on a core the load itself was using); compiled ahead of
;; time it runs at full speed from the first node, and a little faster than optimised JS too
;; (1M nodes: 350–420 ms against 440–630 ms).
;;
;; Same algorithm and same hash as checkLinks, so the two give the same lanes: for each live slot
;; in [from, to) (lvl[s] >= 0), every level-0 link is checked for bounds, self and duplicates (a
;; per-list table keyed by a generation counter), its unordered pair's two salted hash lanes are
;; XORed in, and the reachability bitmap is marked. The scratch (lvl, the bitmap, the duplicate
;; table, and out = [lane 1, lane 2, generation]) lives in the same memory, after the records
;; image; link-check.ts lays it out.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; Returns 1 (lanes and generation updated in out), or 0 at the first bad link.
  (func (export "links0")
    (param $hw i32) (param $recBase i32) (param $stride i32) (param $linkOff i32)
    (param $lvl i32) (param $reached i32) (param $keys i32) (param $gens i32)
    (param $shift i32) (param $mask i32)
    (param $s0 i32) (param $s1 i32) (param $s2 i32) (param $s3 i32)
    (param $from i32) (param $to i32) (param $out i32) (result i32)
    (local $s i32) (local $rec i32) (local $n i32) (local $base i32) (local $j i32) (local $t i32)
    (local $h i32) (local $gen i32) (local $g1 i32) (local $g2 i32) (local $hit i32)
    (local $a i32) (local $b i32) (local $p i32) (local $f1 i32) (local $f2 i32)
    (local $vs v128) (local $vt v128) (local $va v128) (local $vb v128) (local $vf v128) (local $v1 v128) (local $v2 v128)
    (local $vs0 v128) (local $vs1 v128) (local $vs2 v128) (local $vs3 v128)
    (local $vc1 v128) (local $vc2 v128) (local $vm1 v128) (local $vm2 v128)
    (local.set $vs0 (i32x4.splat (local.get $s0)))
    (local.set $vs1 (i32x4.splat (local.get $s1)))
    (local.set $vs2 (i32x4.splat (local.get $s2)))
    (local.set $vs3 (i32x4.splat (local.get $s3)))
    (local.set $vc1 (i32x4.splat (i32.const 0xcc9e2d51)))
    (local.set $vc2 (i32x4.splat (i32.const 0x1b873593)))
    (local.set $vm1 (i32x4.splat (i32.const 0x85ebca6b)))
    (local.set $vm2 (i32x4.splat (i32.const 0xc2b2ae35)))
    (local.set $g1 (i32.load (local.get $out)))
    (local.set $g2 (i32.load offset=4 (local.get $out)))
    (local.set $gen (i32.load offset=8 (local.get $out)))
    (local.set $s (local.get $from))
    (block $done
      (loop $nodes
        (br_if $done (i32.ge_u (local.get $s) (local.get $to)))
        (if (i32.ge_s (i32.load8_s (i32.add (local.get $lvl) (local.get $s))) (i32.const 0))
          (then
            (local.set $rec (i32.add (local.get $recBase) (i32.mul (local.get $s) (local.get $stride))))
            (local.set $n (i32.and (i32.load (local.get $rec)) (i32.const 0xffff)))
            (local.set $base (i32.add (local.get $rec) (local.get $linkOff)))
            (local.set $gen (i32.add (local.get $gen) (i32.const 1)))
            (local.set $hit (i32.and (i32.shr_u (i32.load (i32.add (local.get $reached) (i32.shl (i32.shr_u (local.get $s) (i32.const 5)) (i32.const 2)))) (i32.and (local.get $s) (i32.const 31))) (i32.const 1)))
            (local.set $j (i32.const 0))
            (block $lend
              (loop $links
                (br_if $lend (i32.ge_u (local.get $j) (local.get $n)))
                (local.set $t (i32.load (i32.add (local.get $base) (i32.shl (local.get $j) (i32.const 2)))))
                ;; bounds (unsigned compare also rejects negatives) and self
                (if (i32.or (i32.ge_u (local.get $t) (local.get $hw)) (i32.eq (local.get $t) (local.get $s))) (then (return (i32.const 0))))
                ;; duplicate table
                (local.set $h (i32.shr_u (i32.mul (local.get $t) (i32.const 0x9e3779b1)) (local.get $shift)))
                (block $free
                  (loop $probe
                    (local.set $p (i32.shl (local.get $h) (i32.const 2)))
                    (br_if $free (i32.ne (i32.load (i32.add (local.get $gens) (local.get $p))) (local.get $gen)))
                    (if (i32.eq (i32.load (i32.add (local.get $keys) (local.get $p))) (local.get $t)) (then (return (i32.const 0))))
                    (local.set $h (i32.and (i32.add (local.get $h) (i32.const 1)) (local.get $mask)))
                    (br $probe)))
                (i32.store (i32.add (local.get $gens) (local.get $p)) (local.get $gen))
                (i32.store (i32.add (local.get $keys) (local.get $p)) (local.get $t))
                (local.set $hit (i32.or (local.get $hit) (i32.and (i32.shr_u (i32.load (i32.add (local.get $reached) (i32.shl (i32.shr_u (local.get $t) (i32.const 5)) (i32.const 2)))) (i32.and (local.get $t) (i32.const 31))) (i32.const 1))))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $links)))
            ;; The pair-hash lanes of the list (bounds, self and duplicates passed), four links at a
            ;; time with SIMD, the rest one at a time: the same values as the JS twin's, since XOR
            ;; does not care about order.
            (local.set $vs (i32x4.splat (local.get $s)))
            (local.set $j (i32.const 0))
            (block $vend
              (loop $vec
                (br_if $vend (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
                (local.set $vt (v128.load (i32.add (local.get $base) (i32.shl (local.get $j) (i32.const 2)))))
                (local.set $va (i32x4.min_u (local.get $vs) (local.get $vt)))
                (local.set $vb (i32x4.max_u (local.get $vs) (local.get $vt)))
                (local.set $vf (i32x4.add (i32x4.mul (v128.xor (local.get $va) (local.get $vs0)) (local.get $vc1)) (i32x4.mul (v128.xor (local.get $vb) (local.get $vs1)) (local.get $vc2))))
                (local.set $vf (v128.xor (local.get $vf) (i32x4.shr_u (local.get $vf) (i32.const 16))))
                (local.set $vf (i32x4.mul (local.get $vf) (local.get $vm1)))
                (local.set $vf (v128.xor (local.get $vf) (i32x4.shr_u (local.get $vf) (i32.const 13))))
                (local.set $vf (i32x4.mul (local.get $vf) (local.get $vm2)))
                (local.set $vf (v128.xor (local.get $vf) (i32x4.shr_u (local.get $vf) (i32.const 16))))
                (local.set $v1 (v128.xor (local.get $v1) (local.get $vf)))
                (local.set $vf (i32x4.add (i32x4.mul (v128.xor (local.get $vb) (local.get $vs2)) (local.get $vm1)) (i32x4.mul (v128.xor (local.get $va) (local.get $vs3)) (local.get $vm2))))
                (local.set $vf (v128.xor (local.get $vf) (i32x4.shr_u (local.get $vf) (i32.const 16))))
                (local.set $vf (i32x4.mul (local.get $vf) (local.get $vm1)))
                (local.set $vf (v128.xor (local.get $vf) (i32x4.shr_u (local.get $vf) (i32.const 13))))
                (local.set $vf (i32x4.mul (local.get $vf) (local.get $vm2)))
                (local.set $vf (v128.xor (local.get $vf) (i32x4.shr_u (local.get $vf) (i32.const 16))))
                (local.set $v2 (v128.xor (local.get $v2) (local.get $vf)))
                (local.set $j (i32.add (local.get $j) (i32.const 4)))
                (br $vec)))
            (block $tend
              (loop $tail
                (br_if $tend (i32.ge_u (local.get $j) (local.get $n)))
                (local.set $t (i32.load (i32.add (local.get $base) (i32.shl (local.get $j) (i32.const 2)))))
                (local.set $a (select (local.get $s) (local.get $t) (i32.lt_u (local.get $s) (local.get $t))))
                (local.set $b (select (local.get $t) (local.get $s) (i32.lt_u (local.get $s) (local.get $t))))
                ;; the two lanes, fmix32 written out (V8 does not inline WebAssembly calls)
                (local.set $f1 (i32.add (i32.mul (i32.xor (local.get $a) (local.get $s0)) (i32.const 0xcc9e2d51)) (i32.mul (i32.xor (local.get $b) (local.get $s1)) (i32.const 0x1b873593))))
                (local.set $f2 (i32.add (i32.mul (i32.xor (local.get $b) (local.get $s2)) (i32.const 0x85ebca6b)) (i32.mul (i32.xor (local.get $a) (local.get $s3)) (i32.const 0xc2b2ae35))))
                (local.set $f1 (i32.xor (local.get $f1) (i32.shr_u (local.get $f1) (i32.const 16))))
                (local.set $f1 (i32.mul (local.get $f1) (i32.const 0x85ebca6b)))
                (local.set $f1 (i32.xor (local.get $f1) (i32.shr_u (local.get $f1) (i32.const 13))))
                (local.set $f1 (i32.mul (local.get $f1) (i32.const 0xc2b2ae35)))
                (local.set $f1 (i32.xor (local.get $f1) (i32.shr_u (local.get $f1) (i32.const 16))))
                (local.set $f2 (i32.xor (local.get $f2) (i32.shr_u (local.get $f2) (i32.const 16))))
                (local.set $f2 (i32.mul (local.get $f2) (i32.const 0x85ebca6b)))
                (local.set $f2 (i32.xor (local.get $f2) (i32.shr_u (local.get $f2) (i32.const 13))))
                (local.set $f2 (i32.mul (local.get $f2) (i32.const 0xc2b2ae35)))
                (local.set $f2 (i32.xor (local.get $f2) (i32.shr_u (local.get $f2) (i32.const 16))))
                (local.set $g1 (i32.xor (local.get $g1) (local.get $f1)))
                (local.set $g2 (i32.xor (local.get $g2) (local.get $f2)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $tail)))
            (if (local.get $hit)
              (then
                (local.set $p (i32.add (local.get $reached) (i32.shl (i32.shr_u (local.get $s) (i32.const 5)) (i32.const 2))))
                (i32.store (local.get $p) (i32.or (i32.load (local.get $p)) (i32.shl (i32.const 1) (i32.and (local.get $s) (i32.const 31)))))
                (local.set $j (i32.const 0))
                (block $mend
                  (loop $mark
                    (br_if $mend (i32.ge_u (local.get $j) (local.get $n)))
                    (local.set $t (i32.load (i32.add (local.get $base) (i32.shl (local.get $j) (i32.const 2)))))
                    (local.set $p (i32.add (local.get $reached) (i32.shl (i32.shr_u (local.get $t) (i32.const 5)) (i32.const 2))))
                    (i32.store (local.get $p) (i32.or (i32.load (local.get $p)) (i32.shl (i32.const 1) (i32.and (local.get $t) (i32.const 31)))))
                    (local.set $j (i32.add (local.get $j) (i32.const 1)))
                    (br $mark)))))))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $nodes)))
    ;; fold the SIMD lanes in
    (local.set $g1 (i32.xor (i32.xor (local.get $g1) (i32.xor (i32x4.extract_lane 0 (local.get $v1)) (i32x4.extract_lane 1 (local.get $v1))))
                            (i32.xor (i32x4.extract_lane 2 (local.get $v1)) (i32x4.extract_lane 3 (local.get $v1)))))
    (local.set $g2 (i32.xor (i32.xor (local.get $g2) (i32.xor (i32x4.extract_lane 0 (local.get $v2)) (i32x4.extract_lane 1 (local.get $v2))))
                            (i32.xor (i32x4.extract_lane 2 (local.get $v2)) (i32x4.extract_lane 3 (local.get $v2)))))
    (i32.store (local.get $out) (local.get $g1))
    (i32.store offset=4 (local.get $out) (local.get $g2))
    (i32.store offset=8 (local.get $out) (local.get $gen))
    (i32.const 1))
;; The node records' own checks (SetCheck.records in records-check.ts: everything that needs only the
;; record itself) for slots [from, to): writes lvl[s] (a live node's level, else -1), elems[s]
;; (the slot's element ref, for the heap half; not when elems is 0) and, from `specials` on, the slots with something
;; in the heap (deleted nodes, live nodes with upper levels) as triples (slot, upper block, meta
;; word), in slot order; info[0] = their number, info[1] = live nodes.
;; Returns 1, or 0 at the first slot that fails (the JS check then runs and names it). The layout
;; constants come from layout.ts as parameters, so the two cannot drift apart.
  (func (export "records0")
    (param $from i32) (param $to i32) (param $recBase i32) (param $stride i32)
    (param $lvl i32) (param $specials i32) (param $info i32)
    (param $maxLevel i32) (param $linkCap i32)
    (param $padFrom i32) (param $padTo i32) (param $binTail i32)
    (param $vecOff i32) (param $upperOff i32) (param $fLive i32) (param $fDeleted i32) (param $fFree i32) (param $levelCap i32)
    (param $elems i32) (param $elemOff i32)
    (result i32)
    (local $s i32) (local $rec i32) (local $meta i32) (local $flags i32) (local $level i32) (local $upper i32)
    (local $nsp i32) (local $live i32) (local $b i32) (local $end i32)
    (local.set $s (local.get $from))
    (block $done
      (loop $slots
        (br_if $done (i32.ge_u (local.get $s) (local.get $to)))
        (local.set $rec (i32.add (local.get $recBase) (i32.mul (local.get $s) (local.get $stride))))
        (local.set $meta (i32.load (local.get $rec)))
        (local.set $flags (i32.shr_u (local.get $meta) (i32.const 24)))
        (local.set $level (i32.and (i32.shr_u (local.get $meta) (i32.const 16)) (i32.const 31)))
        (local.set $upper (i32.load (i32.add (local.get $rec) (local.get $upperOff))))
        (i32.store8 (i32.add (local.get $lvl) (local.get $s)) (i32.const -1))
        (if (local.get $elems) (then (i32.store (i32.add (local.get $elems) (i32.shl (local.get $s) (i32.const 2))) (i32.load (i32.add (local.get $rec) (local.get $elemOff))))))
        ;; unknown meta bits
        (if (i32.and (i32.shr_u (local.get $meta) (i32.const 21)) (i32.const 7)) (then (return (i32.const 0))))
        (block $next
          (if (i32.eq (local.get $flags) (local.get $fFree))
            (then
              ;; a free slot has no links, level or upper block
              (if (i32.or (i32.or (i32.and (local.get $meta) (i32.const 0xffff)) (local.get $level)) (local.get $upper))
                (then (return (i32.const 0))))
              (br $next)))
          (if (i32.and (i32.ne (local.get $flags) (local.get $fLive)) (i32.ne (local.get $flags) (local.get $fDeleted)))
            (then (return (i32.const 0))))
          (if (i32.gt_u (local.get $level) (local.get $levelCap)) (then (return (i32.const 0))))
          (if (i32.and (i32.eqz (local.get $level)) (i32.ne (local.get $upper) (i32.const 0))) (then (return (i32.const 0))))
          (if (i32.eq (local.get $flags) (local.get $fDeleted))
            (then
              (local.set $b (i32.add (local.get $specials) (i32.mul (local.get $nsp) (i32.const 12))))
              (i32.store (local.get $b) (local.get $s))
              (i32.store offset=4 (local.get $b) (local.get $upper))
              (i32.store offset=8 (local.get $b) (local.get $meta))
              (local.set $nsp (i32.add (local.get $nsp) (i32.const 1)))
              (br $next)))
          ;; live
          (local.set $live (i32.add (local.get $live) (i32.const 1)))
          (if (i32.gt_u (local.get $level) (local.get $maxLevel)) (then (return (i32.const 0))))
          (if (i32.gt_u (i32.and (local.get $meta) (i32.const 0xffff)) (local.get $linkCap)) (then (return (i32.const 0))))
          ;; vector padding is zero
          (local.set $b (i32.add (local.get $rec) (local.get $padFrom)))
          (local.set $end (i32.add (local.get $rec) (local.get $padTo)))
          (block $padded
            (loop $pad
              (br_if $padded (i32.ge_u (local.get $b) (local.get $end)))
              (if (i32.load8_u (local.get $b)) (then (return (i32.const 0))))
              (local.set $b (i32.add (local.get $b) (i32.const 1)))
              (br $pad)))
          ;; BIN: the bits past the dimension in the last stored word are zero
          (if (i32.ge_s (local.get $binTail) (i32.const 0))
            (then
              (local.set $b (i32.add (i32.add (local.get $rec) (local.get $vecOff)) (i32.shr_u (local.get $binTail) (i32.const 3))))
              (if (i32.shr_u (i32.load8_u (local.get $b)) (i32.and (local.get $binTail) (i32.const 7))) (then (return (i32.const 0))))
              (local.set $end (i32.add (local.get $rec) (local.get $padFrom)))
              (local.set $b (i32.add (local.get $b) (i32.const 1)))
              (block $tail
                (loop $bits
                  (br_if $tail (i32.ge_u (local.get $b) (local.get $end)))
                  (if (i32.load8_u (local.get $b)) (then (return (i32.const 0))))
                  (local.set $b (i32.add (local.get $b) (i32.const 1)))
                  (br $bits)))))
          (i32.store8 (i32.add (local.get $lvl) (local.get $s)) (local.get $level))
          (if (local.get $level)
            (then
              (local.set $b (i32.add (local.get $specials) (i32.mul (local.get $nsp) (i32.const 12))))
              (i32.store (local.get $b) (local.get $s))
              (i32.store offset=4 (local.get $b) (local.get $upper))
              (i32.store offset=8 (local.get $b) (local.get $meta))
              (local.set $nsp (i32.add (local.get $nsp) (i32.const 1))))))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $slots)))
    (i32.store (local.get $info) (local.get $nsp))
    (i32.store offset=4 (local.get $info) (local.get $live))
    (i32.const 1))

  ;; link-check.ts finishReachability over slots [from, to), from the marks of a level-0 check that
  ;; passed (every link in bounds): each live, unmarked slot with a link to a marked one is marked
  ;; with all it reaches, depth first on the stack at $stack (hw words at most: a slot is pushed
  ;; once, when marked). Each stack entry is zeroed as it is popped, so the scratch reads as zero
  ;; again afterwards.
  (func (export "reach")
    (param $from i32) (param $to i32) (param $recBase i32) (param $stride i32) (param $linkOff i32)
    (param $lvl i32) (param $reached i32) (param $stack i32)
    (local $u i32) (local $x i32) (local $v i32) (local $rec i32) (local $n i32) (local $base i32)
    (local $j i32) (local $top i32) (local $p i32) (local $touch i32)
    (local.set $u (local.get $from))
    (block $done
      (loop $slots
        (br_if $done (i32.ge_u (local.get $u) (local.get $to)))
        (block $next
          (br_if $next (i32.lt_s (i32.load8_s (i32.add (local.get $lvl) (local.get $u))) (i32.const 0)))
          (br_if $next (i32.and (i32.load (i32.add (local.get $reached) (i32.shl (i32.shr_u (local.get $u) (i32.const 5)) (i32.const 2))))
                                (i32.shl (i32.const 1) (i32.and (local.get $u) (i32.const 31)))))
          (local.set $rec (i32.add (local.get $recBase) (i32.mul (local.get $u) (local.get $stride))))
          (local.set $n (i32.and (i32.load (local.get $rec)) (i32.const 0xffff)))
          (local.set $base (i32.add (local.get $rec) (local.get $linkOff)))
          (local.set $touch (i32.const 0))
          (local.set $j (i32.const 0))
          (block $tend
            (loop $touches
              (br_if $tend (i32.ge_u (local.get $j) (local.get $n)))
              (local.set $v (i32.load (i32.add (local.get $base) (i32.shl (local.get $j) (i32.const 2)))))
              (if (i32.and (i32.load (i32.add (local.get $reached) (i32.shl (i32.shr_u (local.get $v) (i32.const 5)) (i32.const 2))))
                           (i32.shl (i32.const 1) (i32.and (local.get $v) (i32.const 31))))
                (then
                  (local.set $touch (i32.const 1))
                  (br $tend)))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br $touches)))
          (br_if $next (i32.eqz (local.get $touch)))
          (local.set $p (i32.add (local.get $reached) (i32.shl (i32.shr_u (local.get $u) (i32.const 5)) (i32.const 2))))
          (i32.store (local.get $p) (i32.or (i32.load (local.get $p)) (i32.shl (i32.const 1) (i32.and (local.get $u) (i32.const 31)))))
          (i32.store (local.get $stack) (local.get $u))
          (local.set $top (i32.const 1))
          (block $wend
            (loop $walk
              (br_if $wend (i32.eqz (local.get $top)))
              (local.set $top (i32.sub (local.get $top) (i32.const 1)))
              (local.set $p (i32.add (local.get $stack) (i32.shl (local.get $top) (i32.const 2))))
              (local.set $x (i32.load (local.get $p)))
              (i32.store (local.get $p) (i32.const 0))
              (local.set $rec (i32.add (local.get $recBase) (i32.mul (local.get $x) (local.get $stride))))
              (local.set $n (i32.and (i32.load (local.get $rec)) (i32.const 0xffff)))
              (local.set $base (i32.add (local.get $rec) (local.get $linkOff)))
              (local.set $j (i32.const 0))
              (block $lend
                (loop $links
                  (br_if $lend (i32.ge_u (local.get $j) (local.get $n)))
                  (local.set $v (i32.load (i32.add (local.get $base) (i32.shl (local.get $j) (i32.const 2)))))
                  (local.set $p (i32.add (local.get $reached) (i32.shl (i32.shr_u (local.get $v) (i32.const 5)) (i32.const 2))))
                  (if (i32.eqz (i32.and (i32.load (local.get $p)) (i32.shl (i32.const 1) (i32.and (local.get $v) (i32.const 31)))))
                    (then
                      (i32.store (local.get $p) (i32.or (i32.load (local.get $p)) (i32.shl (i32.const 1) (i32.and (local.get $v) (i32.const 31)))))
                      (i32.store (i32.add (local.get $stack) (i32.shl (local.get $top) (i32.const 2))) (local.get $v))
                      (local.set $top (i32.add (local.get $top) (i32.const 1)))))
                  (local.set $j (i32.add (local.get $j) (i32.const 1)))
                  (br $links)))
              (br $walk))))
        (local.set $u (i32.add (local.get $u) (i32.const 1)))
        (br $slots))))

  ;; level0Matrix (link-check.ts) in WebAssembly, for a small image that lies in this memory (a
  ;; set in an arena, checked on the load's helper: set-batch.ts): level 0 exactly, by a bit matrix
  ;; at $m (hw rows of W = ceil(hw/32) words, zeroed here first), the reachability marks into the W
  ;; words at $reached. A slot is live when its meta word's flags are $live (the records pass has
  ;; refused any other flags). Returns 1 when every link is in bounds, not to itself, not
  ;; duplicated and reciprocated; else 0 (the JS passes then name the fault).
  (func (export "matrix0")
    (param $hw i32) (param $recBase i32) (param $stride i32) (param $linkOff i32) (param $live i32)
    (param $m i32) (param $reached i32) (result i32)
    (local $W i32) (local $s i32) (local $meta i32) (local $n i32) (local $base i32) (local $row i32)
    (local $col i32) (local $bitS i32) (local $j i32) (local $x i32) (local $w i32) (local $bit i32)
    (local $up i32) (local $down i32) (local $k i32) (local $hit i32) (local $rs i32)
    (local.set $W (i32.shr_u (i32.add (local.get $hw) (i32.const 31)) (i32.const 5)))
    (memory.fill (local.get $m) (i32.const 0) (i32.shl (i32.mul (local.get $hw) (local.get $W)) (i32.const 2)))
    (block $done
      (loop $nodes
        (br_if $done (i32.ge_u (local.get $s) (local.get $hw)))
        (local.set $meta (i32.load (i32.add (local.get $recBase) (i32.mul (local.get $s) (local.get $stride)))))
        (if (i32.eq (i32.shr_u (local.get $meta) (i32.const 24)) (local.get $live))
          (then
            (local.set $n (i32.and (local.get $meta) (i32.const 0xffff)))
            (local.set $base (i32.add (i32.add (local.get $recBase) (i32.mul (local.get $s) (local.get $stride))) (local.get $linkOff)))
            ;; $row: the byte address of row s; $col: the byte offset of word s/32 in a row
            (local.set $row (i32.add (local.get $m) (i32.shl (i32.mul (local.get $s) (local.get $W)) (i32.const 2))))
            (local.set $col (i32.shl (i32.shr_u (local.get $s) (i32.const 5)) (i32.const 2)))
            (local.set $bitS (i32.shl (i32.const 1) (i32.and (local.get $s) (i32.const 31))))
            (local.set $j (i32.const 0))
            (block $lend
              (loop $links
                (br_if $lend (i32.ge_u (local.get $j) (local.get $n)))
                (local.set $x (i32.load (i32.add (local.get $base) (i32.shl (local.get $j) (i32.const 2)))))
                ;; bounds (unsigned: negatives too) and self
                (if (i32.or (i32.ge_u (local.get $x) (local.get $hw)) (i32.eq (local.get $x) (local.get $s))) (then (return (i32.const 0))))
                (local.set $w (i32.add (local.get $row) (i32.shl (i32.shr_u (local.get $x) (i32.const 5)) (i32.const 2))))
                (local.set $bit (i32.shl (i32.const 1) (i32.and (local.get $x) (i32.const 31))))
                ;; a bit already set: a duplicate in the list
                (if (i32.and (i32.load (local.get $w)) (local.get $bit)) (then (return (i32.const 0))))
                (i32.store (local.get $w) (i32.or (i32.load (local.get $w)) (local.get $bit)))
                (if (i32.gt_u (local.get $x) (local.get $s))
                  (then (local.set $up (i32.add (local.get $up) (i32.const 1))))
                  (else
                    ;; a link down finds x's list entered already: its reverse bit must be set
                    (if (i32.eqz (i32.and
                          (i32.load (i32.add (i32.add (local.get $m) (i32.shl (i32.mul (local.get $x) (local.get $W)) (i32.const 2))) (local.get $col)))
                          (local.get $bitS)))
                      (then (return (i32.const 0))))
                    (local.set $down (i32.add (local.get $down) (i32.const 1)))))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $links)))
            ;; The reachability marks take the row (the list as a bitmap) a word at a time.
            (local.set $rs (i32.add (local.get $reached) (local.get $col)))
            (local.set $hit (i32.and (i32.load (local.get $rs)) (local.get $bitS)))
            (local.set $k (i32.const 0))
            (block $hend
              (loop $hits
                (br_if $hend (i32.ge_u (local.get $k) (local.get $W)))
                (local.set $hit (i32.or (local.get $hit)
                  (i32.and (i32.load (i32.add (local.get $reached) (i32.shl (local.get $k) (i32.const 2))))
                           (i32.load (i32.add (local.get $row) (i32.shl (local.get $k) (i32.const 2)))))))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $hits)))
            (if (local.get $hit)
              (then
                (i32.store (local.get $rs) (i32.or (i32.load (local.get $rs)) (local.get $bitS)))
                (local.set $k (i32.const 0))
                (block $mend
                  (loop $marks
                    (br_if $mend (i32.ge_u (local.get $k) (local.get $W)))
                    (i32.store (i32.add (local.get $reached) (i32.shl (local.get $k) (i32.const 2)))
                      (i32.or (i32.load (i32.add (local.get $reached) (i32.shl (local.get $k) (i32.const 2))))
                              (i32.load (i32.add (local.get $row) (i32.shl (local.get $k) (i32.const 2))))))
                    (local.set $k (i32.add (local.get $k) (i32.const 1)))
                    (br $marks)))))))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $nodes)))
    (i32.eq (local.get $up) (local.get $down)))

  ;; Live slots [0, hw) left unmarked after `reach`.
  (func (export "unreached") (param $hw i32) (param $lvl i32) (param $reached i32) (result i32)
    (local $u i32) (local $count i32)
    (block $done
      (loop $slots
        (br_if $done (i32.ge_u (local.get $u) (local.get $hw)))
        (if (i32.ge_s (i32.load8_s (i32.add (local.get $lvl) (local.get $u))) (i32.const 0))
          (then
            (if (i32.eqz (i32.and (i32.load (i32.add (local.get $reached) (i32.shl (i32.shr_u (local.get $u) (i32.const 5)) (i32.const 2))))
                                  (i32.shl (i32.const 1) (i32.and (local.get $u) (i32.const 31)))))
              (then (local.set $count (i32.add (local.get $count) (i32.const 1)))))))
        (local.set $u (i32.add (local.get $u) (i32.const 1)))
        (br $slots)))
    (local.get $count))
)
