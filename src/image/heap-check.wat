;; The heap half of a load's image check in WebAssembly (records-check.ts, SetCheck.recordsFast;
;; vset/elements.ts). Why: a snapshot load runs each of these loops once per process, so in JavaScript
;; they mostly ran before V8 had optimised them (a 100k-element load spent ~100 ms in them, a
;; third of that warm). They run over a temporary "check memory" that holds a copy of the heap at
;; offset 0 (so a heap offset is an address here), the claims bitmap, and what records0
;; (image-check.wat) extracted from the node records: levels, element refs and the slots with
;; something in the heap. The JS checks they mirror stay the reference: any fault found here is
;; named by running those (the corruption fuzz compares both on every refusal).
;;
;; Layout constants of the engine come in as parameters from records-check.ts, set-check.ts and vset/elements.ts.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; heap bytes claimed by live blocks so far (SetCheck.liveHeapBytes)
  (global $liveBytes (mut i32) (i32.const 0))

  (func (export "liveBytes") (result i32) (global.get $liveBytes))

  ;; SetCheck.inHeap: 8-aligned, not in the first 8 bytes, [off, off + bytes) inside the heap
  (func $inHeap (param $top i32) (param $off i32) (param $bytes i32) (result i32)
    (if (i32.and (local.get $off) (i32.const 7)) (then (return (i32.const 0))))
    (if (i32.lt_s (local.get $off) (i32.const 8)) (then (return (i32.const 0))))
    (if (i32.lt_s (local.get $bytes) (i32.const 0)) (then (return (i32.const 0))))
    (i64.le_u (i64.add (i64.extend_i32_u (local.get $off)) (i64.extend_i32_u (local.get $bytes))) (i64.extend_i32_u (local.get $top))))

  ;; heap.ts blockBytes: what a request of `size` bytes really takes (sizes above 2^30 cannot fit a
  ;; heap of at most 2^31 bytes; they come back as 2^31, outside any heap, as in JS)
  (func $blockBytes (param $size i32) (result i32)
    (if (i32.le_s (local.get $size) (i32.const 1024))
      (then
        (if (i32.lt_s (local.get $size) (i32.const 8)) (then (return (i32.const 8))))
        (return (i32.and (i32.add (local.get $size) (i32.const 7)) (i32.const -8)))))
    (if (i32.gt_u (local.get $size) (i32.const 0x40000000)) (then (return (i32.const 0x80000000))))
    (i32.shl (i32.const 1) (i32.sub (i32.const 32) (i32.clz (i32.sub (local.get $size) (i32.const 1))))))

  ;; SetCheck.claimBlock: 0 taken, 1 outside the heap, 2 overlapping a block claimed before
  (func $claim (param $used i32) (param $top i32) (param $off i32) (param $size i32) (param $live i32) (result i32)
    (local $bytes i32) (local $u i32) (local $end i32) (local $p i32) (local $bit i32)
    (local.set $bytes (call $blockBytes (local.get $size)))
    (if (i32.eqz (call $inHeap (local.get $top) (local.get $off) (local.get $bytes))) (then (return (i32.const 1))))
    (local.set $u (i32.shr_u (local.get $off) (i32.const 3)))
    (local.set $end (i32.shr_u (i32.add (local.get $off) (local.get $bytes)) (i32.const 3)))
    ;; partial first word, whole words, partial last word
    (block $d1
      (loop $l1
        (br_if $d1 (i32.ge_u (local.get $u) (local.get $end)))
        (br_if $d1 (i32.eqz (i32.and (local.get $u) (i32.const 31))))
        (local.set $p (i32.add (local.get $used) (i32.shl (i32.shr_u (local.get $u) (i32.const 5)) (i32.const 2))))
        (local.set $bit (i32.shl (i32.const 1) (i32.and (local.get $u) (i32.const 31))))
        (if (i32.and (i32.load (local.get $p)) (local.get $bit)) (then (return (i32.const 2))))
        (i32.store (local.get $p) (i32.or (i32.load (local.get $p)) (local.get $bit)))
        (local.set $u (i32.add (local.get $u) (i32.const 1)))
        (br $l1)))
    (block $d2
      (loop $l2
        (br_if $d2 (i32.gt_u (i32.add (local.get $u) (i32.const 32)) (local.get $end)))
        (local.set $p (i32.add (local.get $used) (i32.shl (i32.shr_u (local.get $u) (i32.const 5)) (i32.const 2))))
        (if (i32.load (local.get $p)) (then (return (i32.const 2))))
        (i32.store (local.get $p) (i32.const -1))
        (local.set $u (i32.add (local.get $u) (i32.const 32)))
        (br $l2)))
    (block $d3
      (loop $l3
        (br_if $d3 (i32.ge_u (local.get $u) (local.get $end)))
        (local.set $p (i32.add (local.get $used) (i32.shl (i32.shr_u (local.get $u) (i32.const 5)) (i32.const 2))))
        (local.set $bit (i32.shl (i32.const 1) (i32.and (local.get $u) (i32.const 31))))
        (if (i32.and (i32.load (local.get $p)) (local.get $bit)) (then (return (i32.const 2))))
        (i32.store (local.get $p) (i32.or (i32.load (local.get $p)) (local.get $bit)))
        (local.set $u (i32.add (local.get $u) (i32.const 1)))
        (br $l3)))
    (if (local.get $live) (then (global.set $liveBytes (i32.add (global.get $liveBytes) (local.get $bytes)))))
    (i32.const 0))

  ;; SetCheck.claimBlock over this memory's bitmap for the claims the JS checks make (the name
  ;; table, free blocks, the REDUCE matrix): a 2 MB name table is 8k words, which JavaScript that
  ;; runs once walked slowly. Live bytes are counted by the caller.
  (func (export "claimBlock") (param $used i32) (param $top i32) (param $off i32) (param $size i32) (result i32)
    (call $claim (local.get $used) (local.get $top) (local.get $off) (local.get $size) (i32.const 0)))

  ;; The heap half of SetCheck.records for the slots records0 listed, triples (slot, upper block,
  ;; meta word) from `listed`, those numbered [from, n): upper blocks claimed (live unless the node
  ;; is deleted), a live node's upper lists EMPTY_LINK-terminated. Deleted slots are written to
  ;; `deleted` in order; out = [deleted slots, upper bytes of live nodes], added to (the caller goes
  ;; in chunks: V8 swaps in optimised code only between calls). Returns 1, or 0 at the first fault.
  (func (export "heapHalf")
    (param $from i32) (param $listed i32) (param $n i32) (param $used i32) (param $top i32) (param $M i32)
    (param $fDeleted i32) (param $deleted i32) (param $out i32) (result i32)
    (local $k i32) (local $s i32) (local $upper i32) (local $meta i32) (local $level i32)
    (local $isDel i32) (local $nd i32) (local $ub i32) (local $l i32) (local $base i32) (local $e i32)
    (local.set $k (local.get $from))
    (local.set $nd (i32.load (local.get $out)))
    (local.set $ub (i32.load offset=4 (local.get $out)))
    (block $done
      (loop $slots
        (br_if $done (i32.ge_u (local.get $k) (local.get $n)))
        (local.set $s (i32.load (i32.add (local.get $listed) (i32.mul (local.get $k) (i32.const 12)))))
        (local.set $upper (i32.load offset=4 (i32.add (local.get $listed) (i32.mul (local.get $k) (i32.const 12)))))
        (local.set $meta (i32.load offset=8 (i32.add (local.get $listed) (i32.mul (local.get $k) (i32.const 12)))))
        (local.set $level (i32.and (i32.shr_u (local.get $meta) (i32.const 16)) (i32.const 31)))
        (local.set $isDel (i32.eq (i32.shr_u (local.get $meta) (i32.const 24)) (local.get $fDeleted)))
        (if (local.get $level)
          (then
            (if (call $claim (local.get $used) (local.get $top) (local.get $upper) (i32.mul (local.get $level) (i32.shl (local.get $M) (i32.const 2))) (i32.eqz (local.get $isDel)))
              (then (return (i32.const 0))))))
        (block $next
          (if (local.get $isDel)
            (then
              (i32.store (i32.add (local.get $deleted) (i32.shl (local.get $nd) (i32.const 2))) (local.get $s))
              (local.set $nd (i32.add (local.get $nd) (i32.const 1)))
              (br $next)))
          (local.set $ub (i32.add (local.get $ub) (i32.mul (local.get $level) (i32.shl (local.get $M) (i32.const 2)))))
          ;; upper lists: links, then EMPTY_LINK (-1) to the end of the list
          (local.set $l (i32.const 1))
          (block $ldone
            (loop $levels
              (br_if $ldone (i32.gt_u (local.get $l) (local.get $level)))
              (local.set $base (i32.add (local.get $upper) (i32.shl (i32.mul (i32.sub (local.get $l) (i32.const 1)) (local.get $M)) (i32.const 2))))
              (local.set $e (i32.const 0))
              (block $end1
                (loop $links
                  (br_if $end1 (i32.ge_u (local.get $e) (local.get $M)))
                  (br_if $end1 (i32.eq (i32.load (i32.add (local.get $base) (i32.shl (local.get $e) (i32.const 2)))) (i32.const -1)))
                  (local.set $e (i32.add (local.get $e) (i32.const 1)))
                  (br $links)))
              (block $end2
                (loop $rest
                  (br_if $end2 (i32.ge_u (local.get $e) (local.get $M)))
                  (if (i32.ne (i32.load (i32.add (local.get $base) (i32.shl (local.get $e) (i32.const 2)))) (i32.const -1))
                    (then (return (i32.const 0))))
                  (local.set $e (i32.add (local.get $e) (i32.const 1)))
                  (br $rest)))
              (local.set $l (i32.add (local.get $l) (i32.const 1)))
              (br $levels))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $slots)))
    (i32.store (local.get $out) (local.get $nd))
    (i32.store offset=4 (local.get $out) (local.get $ub))
    (i32.const 1))

  ;; elements.ts hashName: the set's keyed 32-bit hash (HalfSipHash rounds) of the name at
  ;; [p, p + len). The rounds are written out three times: a call per round (V8 does not inline
  ;; WebAssembly calls) cost more than the round itself.
  (func $hashName (param $k0 i32) (param $k1 i32) (param $p i32) (param $len i32) (result i32)
    (local $v0 i32) (local $v1 i32) (local $v2 i32) (local $v3 i32) (local $r i32)
    (local $end i32) (local $m i32) (local $b i32) (local $left i32)
    (local.set $v0 (local.get $k0))
    (local.set $v1 (local.get $k1))
    (local.set $v2 (i32.xor (i32.const 0x6c796765) (local.get $k0)))
    (local.set $v3 (i32.xor (i32.const 0x74656462) (local.get $k1)))
    (local.set $end (i32.add (local.get $p) (i32.and (local.get $len) (i32.const -4))))
    (block $done
      (loop $words
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $m (i32.load (local.get $p)))
        (local.set $v3 (i32.xor (local.get $v3) (local.get $m)))
    (local.set $r (i32.const 2))
        (block $rdw
          (loop $rlw
            (br_if $rdw (i32.eqz (local.get $r)))
            (local.set $v0 (i32.add (local.get $v0) (local.get $v1)))
            (local.set $v1 (i32.xor (i32.rotl (local.get $v1) (i32.const 5)) (local.get $v0)))
            (local.set $v0 (i32.rotl (local.get $v0) (i32.const 16)))
            (local.set $v2 (i32.add (local.get $v2) (local.get $v3)))
            (local.set $v3 (i32.xor (i32.rotl (local.get $v3) (i32.const 8)) (local.get $v2)))
            (local.set $v0 (i32.add (local.get $v0) (local.get $v3)))
            (local.set $v3 (i32.xor (i32.rotl (local.get $v3) (i32.const 7)) (local.get $v0)))
            (local.set $v2 (i32.add (local.get $v2) (local.get $v1)))
            (local.set $v1 (i32.xor (i32.rotl (local.get $v1) (i32.const 13)) (local.get $v2)))
            (local.set $v2 (i32.rotl (local.get $v2) (i32.const 16)))
            (local.set $r (i32.sub (local.get $r) (i32.const 1)))
            (br $rlw)))
        (local.set $v0 (i32.xor (local.get $v0) (local.get $m)))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $words)))
    (local.set $b (i32.shl (local.get $len) (i32.const 24)))
    (local.set $left (i32.and (local.get $len) (i32.const 3)))
    (if (i32.eq (local.get $left) (i32.const 3)) (then (local.set $b (i32.or (local.get $b) (i32.shl (i32.load8_u offset=2 (local.get $p)) (i32.const 16))))))
    (if (i32.ge_u (local.get $left) (i32.const 2)) (then (local.set $b (i32.or (local.get $b) (i32.shl (i32.load8_u offset=1 (local.get $p)) (i32.const 8))))))
    (if (i32.ge_u (local.get $left) (i32.const 1)) (then (local.set $b (i32.or (local.get $b) (i32.load8_u (local.get $p))))))
    (local.set $v3 (i32.xor (local.get $v3) (local.get $b)))
    (local.set $r (i32.const 2))
    (block $rdt
      (loop $rlt
        (br_if $rdt (i32.eqz (local.get $r)))
        (local.set $v0 (i32.add (local.get $v0) (local.get $v1)))
        (local.set $v1 (i32.xor (i32.rotl (local.get $v1) (i32.const 5)) (local.get $v0)))
        (local.set $v0 (i32.rotl (local.get $v0) (i32.const 16)))
        (local.set $v2 (i32.add (local.get $v2) (local.get $v3)))
        (local.set $v3 (i32.xor (i32.rotl (local.get $v3) (i32.const 8)) (local.get $v2)))
        (local.set $v0 (i32.add (local.get $v0) (local.get $v3)))
        (local.set $v3 (i32.xor (i32.rotl (local.get $v3) (i32.const 7)) (local.get $v0)))
        (local.set $v2 (i32.add (local.get $v2) (local.get $v1)))
        (local.set $v1 (i32.xor (i32.rotl (local.get $v1) (i32.const 13)) (local.get $v2)))
        (local.set $v2 (i32.rotl (local.get $v2) (i32.const 16)))
        (local.set $r (i32.sub (local.get $r) (i32.const 1)))
        (br $rlt)))
    (local.set $v0 (i32.xor (local.get $v0) (local.get $b)))
    (local.set $v2 (i32.xor (local.get $v2) (i32.const 0xff)))
    (local.set $r (i32.const 4))
    (block $rdf
      (loop $rlf
        (br_if $rdf (i32.eqz (local.get $r)))
        (local.set $v0 (i32.add (local.get $v0) (local.get $v1)))
        (local.set $v1 (i32.xor (i32.rotl (local.get $v1) (i32.const 5)) (local.get $v0)))
        (local.set $v0 (i32.rotl (local.get $v0) (i32.const 16)))
        (local.set $v2 (i32.add (local.get $v2) (local.get $v3)))
        (local.set $v3 (i32.xor (i32.rotl (local.get $v3) (i32.const 8)) (local.get $v2)))
        (local.set $v0 (i32.add (local.get $v0) (local.get $v3)))
        (local.set $v3 (i32.xor (i32.rotl (local.get $v3) (i32.const 7)) (local.get $v0)))
        (local.set $v2 (i32.add (local.get $v2) (local.get $v1)))
        (local.set $v1 (i32.xor (i32.rotl (local.get $v1) (i32.const 13)) (local.get $v2)))
        (local.set $v2 (i32.rotl (local.get $v2) (i32.const 16)))
        (local.set $r (i32.sub (local.get $r) (i32.const 1)))
        (br $rlf)))
    (i32.xor (local.get $v1) (local.get $v3)))

  ;; elements.ts elementsByNode, the node side: every live node's element block (and attribute
  ;; block) inside the heap and claimed, pointing back to the node; the salted sums of (element,
  ;; hash of its name), for slots [from, to), added to out = [nodes, attributes, sum lane 1, sum
  ;; lane 2] (the caller goes in chunks: V8 swaps in optimised code only between calls). Returns
  ;; 1, or 0 at the first fault (elementsByTable then names it).
  (func (export "nodeElements")
    (param $from i32) (param $hw i32) (param $lvl i32) (param $elems i32) (param $used i32) (param $top i32)
    (param $k0 i32) (param $k1 i32) (param $s0 i32) (param $s1 i32) (param $s2 i32) (param $s3 i32)
    (param $out i32) (result i32)
    (local $s i32) (local $ref i32) (local $len i32) (local $hash i32) (local $attr i32) (local $alen i32)
    (local $nodes i32) (local $attrs i32) (local $a1 i32) (local $a2 i32) (local $f i32)
    (local.set $s (local.get $from))
    (local.set $nodes (i32.load (local.get $out)))
    (local.set $attrs (i32.load offset=4 (local.get $out)))
    (local.set $a1 (i32.load offset=8 (local.get $out)))
    (local.set $a2 (i32.load offset=12 (local.get $out)))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $s) (local.get $hw)))
        (if (i32.ge_s (i32.load8_s (i32.add (local.get $lvl) (local.get $s))) (i32.const 0))
          (then
            (local.set $nodes (i32.add (local.get $nodes) (i32.const 1)))
            (local.set $ref (i32.load (i32.add (local.get $elems) (i32.shl (local.get $s) (i32.const 2)))))
            ;; E_LEN 0, E_ATTR 4, E_NODE 8, E_NAME 12
            (if (i32.eqz (call $inHeap (local.get $top) (local.get $ref) (i32.const 12))) (then (return (i32.const 0))))
            (local.set $len (i32.load (local.get $ref)))
            (if (i32.lt_s (local.get $len) (i32.const 0)) (then (return (i32.const 0))))
            (if (i32.gt_u (local.get $len) (local.get $top)) (then (return (i32.const 0))))
            (if (i32.eqz (call $inHeap (local.get $top) (local.get $ref) (i32.add (local.get $len) (i32.const 12)))) (then (return (i32.const 0))))
            (if (call $claim (local.get $used) (local.get $top) (local.get $ref) (i32.add (local.get $len) (i32.const 12)) (i32.const 1)) (then (return (i32.const 0))))
            (if (i32.ne (i32.load offset=8 (local.get $ref)) (local.get $s)) (then (return (i32.const 0))))
            (local.set $hash (call $hashName (local.get $k0) (local.get $k1) (i32.add (local.get $ref) (i32.const 12)) (local.get $len)))
            ;; the lanes' fmix32 written out (V8 does not inline WebAssembly calls)
            (local.set $f (i32.add (i32.mul (i32.xor (local.get $ref) (local.get $s0)) (i32.const 0xcc9e2d51)) (i32.xor (local.get $hash) (local.get $s1))))
            (local.set $f (i32.xor (local.get $f) (i32.shr_u (local.get $f) (i32.const 16))))
            (local.set $f (i32.mul (local.get $f) (i32.const 0x85ebca6b)))
            (local.set $f (i32.xor (local.get $f) (i32.shr_u (local.get $f) (i32.const 13))))
            (local.set $f (i32.mul (local.get $f) (i32.const 0xc2b2ae35)))
            (local.set $a1 (i32.add (local.get $a1) (i32.xor (local.get $f) (i32.shr_u (local.get $f) (i32.const 16)))))
            (local.set $f (i32.add (i32.mul (i32.xor (local.get $hash) (local.get $s2)) (i32.const 0x85ebca6b)) (i32.xor (local.get $ref) (local.get $s3))))
            (local.set $f (i32.xor (local.get $f) (i32.shr_u (local.get $f) (i32.const 16))))
            (local.set $f (i32.mul (local.get $f) (i32.const 0x85ebca6b)))
            (local.set $f (i32.xor (local.get $f) (i32.shr_u (local.get $f) (i32.const 13))))
            (local.set $f (i32.mul (local.get $f) (i32.const 0xc2b2ae35)))
            (local.set $a2 (i32.add (local.get $a2) (i32.xor (local.get $f) (i32.shr_u (local.get $f) (i32.const 16)))))
            (local.set $attr (i32.load offset=4 (local.get $ref)))
            (if (local.get $attr)
              (then
                (if (i32.eqz (call $inHeap (local.get $top) (local.get $attr) (i32.const 4))) (then (return (i32.const 0))))
                (local.set $alen (i32.load (local.get $attr)))
                (if (i32.lt_s (local.get $alen) (i32.const 0)) (then (return (i32.const 0))))
                (if (i32.gt_u (local.get $alen) (local.get $top)) (then (return (i32.const 0))))
                (if (i32.eqz (call $inHeap (local.get $top) (local.get $attr) (i32.add (local.get $alen) (i32.const 4)))) (then (return (i32.const 0))))
                (if (call $claim (local.get $used) (local.get $top) (local.get $attr) (i32.add (local.get $alen) (i32.const 4)) (i32.const 1)) (then (return (i32.const 0))))
                (local.set $attrs (i32.add (local.get $attrs) (i32.const 1)))))))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $each)))
    (i32.store (local.get $out) (local.get $nodes))
    (i32.store offset=4 (local.get $out) (local.get $attrs))
    (i32.store offset=8 (local.get $out) (local.get $a1))
    (i32.store offset=12 (local.get $out) (local.get $a2))
    (i32.const 1))

  ;; elements.ts tablePass over the name table at byte offset $t, entries [from, cap) (entry 0 is
  ;; the header): out = [used, live, sum lane 1, sum lane 2, first empty entry], carried from call
  ;; to call (the caller goes in chunks and starts out as [0, 0, 0, 0, -1]). Returns 1, or 0 when
  ;; an empty entry holds a hash.
  (func (export "tableSums")
    (param $from i32) (param $t i32) (param $cap i32) (param $s0 i32) (param $s1 i32) (param $s2 i32) (param $s3 i32) (param $out i32) (result i32)
    (local $i i32) (local $ref i32) (local $hash i32) (local $used i32) (local $live i32) (local $a1 i32) (local $a2 i32) (local $emptyAt i32)
    (local $f i32)
    (local.set $i (local.get $from))
    (local.set $used (i32.load (local.get $out)))
    (local.set $live (i32.load offset=4 (local.get $out)))
    (local.set $a1 (i32.load offset=8 (local.get $out)))
    (local.set $a2 (i32.load offset=12 (local.get $out)))
    (local.set $emptyAt (i32.load offset=16 (local.get $out)))
    (block $done
      (loop $entries
        (br_if $done (i32.ge_u (local.get $i) (local.get $cap)))
        (local.set $ref (i32.load (i32.add (local.get $t) (i32.shl (local.get $i) (i32.const 3)))))
        (local.set $hash (i32.load offset=4 (i32.add (local.get $t) (i32.shl (local.get $i) (i32.const 3)))))
        (block $next
          (if (i32.eqz (local.get $ref))
            (then
              (if (local.get $hash) (then (return (i32.const 0))))
              (if (i32.lt_s (local.get $emptyAt) (i32.const 0)) (then (local.set $emptyAt (local.get $i))))
              (br $next)))
          (local.set $used (i32.add (local.get $used) (i32.const 1)))
          (br_if $next (i32.eq (local.get $ref) (i32.const 1)))
          (local.set $live (i32.add (local.get $live) (i32.const 1)))
          ;; the lanes' fmix32 written out (V8 does not inline WebAssembly calls)
          (local.set $f (i32.add (i32.mul (i32.xor (local.get $ref) (local.get $s0)) (i32.const 0xcc9e2d51)) (i32.xor (local.get $hash) (local.get $s1))))
          (local.set $f (i32.xor (local.get $f) (i32.shr_u (local.get $f) (i32.const 16))))
          (local.set $f (i32.mul (local.get $f) (i32.const 0x85ebca6b)))
          (local.set $f (i32.xor (local.get $f) (i32.shr_u (local.get $f) (i32.const 13))))
          (local.set $f (i32.mul (local.get $f) (i32.const 0xc2b2ae35)))
          (local.set $a1 (i32.add (local.get $a1) (i32.xor (local.get $f) (i32.shr_u (local.get $f) (i32.const 16)))))
          (local.set $f (i32.add (i32.mul (i32.xor (local.get $hash) (local.get $s2)) (i32.const 0x85ebca6b)) (i32.xor (local.get $ref) (local.get $s3))))
          (local.set $f (i32.xor (local.get $f) (i32.shr_u (local.get $f) (i32.const 16))))
          (local.set $f (i32.mul (local.get $f) (i32.const 0x85ebca6b)))
          (local.set $f (i32.xor (local.get $f) (i32.shr_u (local.get $f) (i32.const 13))))
          (local.set $f (i32.mul (local.get $f) (i32.const 0xc2b2ae35)))
          (local.set $a2 (i32.add (local.get $a2) (i32.xor (local.get $f) (i32.shr_u (local.get $f) (i32.const 16))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $entries)))
    (i32.store (local.get $out) (local.get $used))
    (i32.store offset=4 (local.get $out) (local.get $live))
    (i32.store offset=8 (local.get $out) (local.get $a1))
    (i32.store offset=12 (local.get $out) (local.get $a2))
    (i32.store offset=16 (local.get $out) (local.get $emptyAt))
    (i32.const 1))

  ;; link-check.ts upperLevels for the listed live nodes (triples as for heapHalf; deleted ones and
  ;; level 0 are skipped): bounds, self and duplicates per list, and the salted pair-hash lanes of
  ;; every upper link with its level, into out = [lane 1, lane 2] (XORed in). The duplicate table
  ;; (keys, gens: 2^k words each) and its generation (out[2]) as in links0. Returns 1, or 0 at a bad link.
  (func (export "upperLinks")
    (param $kFrom i32) (param $listed i32) (param $n i32) (param $M i32) (param $hw i32) (param $fLive i32)
    (param $keys i32) (param $gens i32) (param $shift i32) (param $mask i32)
    (param $s0 i32) (param $s1 i32) (param $s2 i32) (param $s3 i32) (param $out i32) (result i32)
    (local $k i32) (local $s i32) (local $upper i32) (local $meta i32) (local $level i32) (local $l i32)
    (local $base i32) (local $j i32) (local $len i32) (local $t i32) (local $h i32) (local $p i32) (local $gen i32)
    (local $a i32) (local $b i32) (local $g1 i32) (local $g2 i32) (local $f1 i32) (local $f2 i32) (local $lm i32)
    (local $vs v128) (local $vt v128) (local $va v128) (local $vb v128) (local $vf v128) (local $v1 v128) (local $v2 v128)
    (local $vs0 v128) (local $vs1 v128) (local $vs2 v128) (local $vs3 v128)
    (local $vc1 v128) (local $vc2 v128) (local $vm1 v128) (local $vm2 v128) (local $vl v128) (local $vlm v128)
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
    (local.set $k (local.get $kFrom))
    (block $done
      (loop $slots
        (br_if $done (i32.ge_u (local.get $k) (local.get $n)))
        (local.set $s (i32.load (i32.add (local.get $listed) (i32.mul (local.get $k) (i32.const 12)))))
        (local.set $upper (i32.load offset=4 (i32.add (local.get $listed) (i32.mul (local.get $k) (i32.const 12)))))
        (local.set $meta (i32.load offset=8 (i32.add (local.get $listed) (i32.mul (local.get $k) (i32.const 12)))))
        (local.set $level (i32.and (i32.shr_u (local.get $meta) (i32.const 16)) (i32.const 31)))
        (if (i32.ne (i32.shr_u (local.get $meta) (i32.const 24)) (local.get $fLive)) (then (local.set $level (i32.const 0))))
        (local.set $vs (i32x4.splat (local.get $s)))
        (local.set $l (i32.const 1))
        (block $ldone
          (loop $levels
            (br_if $ldone (i32.gt_u (local.get $l) (local.get $level)))
            (local.set $base (i32.add (local.get $upper) (i32.shl (i32.mul (i32.sub (local.get $l) (i32.const 1)) (local.get $M)) (i32.const 2))))
            (local.set $gen (i32.add (local.get $gen) (i32.const 1)))
            ;; The list's links up to its first EMPTY_LINK: bounds, self and duplicates first.
            (local.set $len (i32.const 0))
            (block $lend
              (loop $links
                (br_if $lend (i32.ge_u (local.get $len) (local.get $M)))
                (local.set $t (i32.load (i32.add (local.get $base) (i32.shl (local.get $len) (i32.const 2)))))
                (br_if $lend (i32.eq (local.get $t) (i32.const -1)))
                (if (i32.or (i32.ge_u (local.get $t) (local.get $hw)) (i32.eq (local.get $t) (local.get $s))) (then (return (i32.const 0))))
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
                (local.set $len (i32.add (local.get $len) (i32.const 1)))
                (br $links)))
            ;; Then the pair-hash lanes (lane1(s, t, l), lane2(s, t, l) of link-check.ts), four links
            ;; at a time with SIMD as in image-check.wat's links0, the rest one at a time with fmix32
            ;; written out (V8 does not inline WebAssembly calls).
            (local.set $lm (i32.mul (local.get $l) (i32.const 0x27d4eb2f)))
            (local.set $vl (i32x4.splat (local.get $l)))
            (local.set $vlm (i32x4.splat (local.get $lm)))
            (local.set $j (i32.const 0))
            (block $vend
              (loop $vec
                (br_if $vend (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $len)))
                (local.set $vt (v128.load (i32.add (local.get $base) (i32.shl (local.get $j) (i32.const 2)))))
                (local.set $va (i32x4.min_u (local.get $vs) (local.get $vt)))
                (local.set $vb (i32x4.max_u (local.get $vs) (local.get $vt)))
                (local.set $vf (i32x4.add (i32x4.add (i32x4.mul (v128.xor (local.get $va) (local.get $vs0)) (local.get $vc1)) (i32x4.mul (v128.xor (local.get $vb) (local.get $vs1)) (local.get $vc2))) (local.get $vl)))
                (local.set $vf (v128.xor (local.get $vf) (i32x4.shr_u (local.get $vf) (i32.const 16))))
                (local.set $vf (i32x4.mul (local.get $vf) (local.get $vm1)))
                (local.set $vf (v128.xor (local.get $vf) (i32x4.shr_u (local.get $vf) (i32.const 13))))
                (local.set $vf (i32x4.mul (local.get $vf) (local.get $vm2)))
                (local.set $vf (v128.xor (local.get $vf) (i32x4.shr_u (local.get $vf) (i32.const 16))))
                (local.set $v1 (v128.xor (local.get $v1) (local.get $vf)))
                (local.set $vf (i32x4.add (i32x4.add (i32x4.mul (v128.xor (local.get $vb) (local.get $vs2)) (local.get $vm1)) (i32x4.mul (v128.xor (local.get $va) (local.get $vs3)) (local.get $vm2))) (local.get $vlm)))
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
                (br_if $tend (i32.ge_u (local.get $j) (local.get $len)))
                (local.set $t (i32.load (i32.add (local.get $base) (i32.shl (local.get $j) (i32.const 2)))))
                (local.set $a (select (local.get $s) (local.get $t) (i32.lt_u (local.get $s) (local.get $t))))
                (local.set $b (select (local.get $t) (local.get $s) (i32.lt_u (local.get $s) (local.get $t))))
                (local.set $f1 (i32.add (i32.add (i32.mul (i32.xor (local.get $a) (local.get $s0)) (i32.const 0xcc9e2d51)) (i32.mul (i32.xor (local.get $b) (local.get $s1)) (i32.const 0x1b873593))) (local.get $l)))
                (local.set $f2 (i32.add (i32.add (i32.mul (i32.xor (local.get $b) (local.get $s2)) (i32.const 0x85ebca6b)) (i32.mul (i32.xor (local.get $a) (local.get $s3)) (i32.const 0xc2b2ae35))) (local.get $lm)))
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
            (local.set $l (i32.add (local.get $l) (i32.const 1)))
            (br $levels)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $slots)))
    ;; the four SIMD lanes fold into the scalar ones (XOR does not care about order)
    (local.set $g1 (i32.xor (local.get $g1) (i32.xor (i32.xor (i32x4.extract_lane 0 (local.get $v1)) (i32x4.extract_lane 1 (local.get $v1))) (i32.xor (i32x4.extract_lane 2 (local.get $v1)) (i32x4.extract_lane 3 (local.get $v1))))))
    (local.set $g2 (i32.xor (local.get $g2) (i32.xor (i32.xor (i32x4.extract_lane 0 (local.get $v2)) (i32x4.extract_lane 1 (local.get $v2))) (i32.xor (i32x4.extract_lane 2 (local.get $v2)) (i32x4.extract_lane 3 (local.get $v2))))))
    (i32.store (local.get $out) (local.get $g1))
    (i32.store offset=4 (local.get $out) (local.get $g2))
    (i32.store offset=8 (local.get $out) (local.get $gen))
    (i32.const 1))
;; The names of two element blocks are equal (length, then bytes; E_LEN 0, E_NAME 12)
  (func $sameName (param $x i32) (param $y i32) (result i32)
    (local $len i32) (local $i i32)
    (local.set $len (i32.load (local.get $x)))
    (if (i32.ne (local.get $len) (i32.load (local.get $y))) (then (return (i32.const 0))))
    (block $done
      (loop $bytes
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (if (i32.ne (i32.load8_u offset=12 (i32.add (local.get $x) (local.get $i))) (i32.load8_u offset=12 (i32.add (local.get $y) (local.get $i))))
          (then (return (i32.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $bytes)))
    (i32.const 1))

  ;; elements.ts probeRuns for tables whose runs of live entries are at most 64 long (one pass
  ;; from the first empty entry once around): every live entry lies at most its run's length
  ;; from its home entry, and no two entries of a run with equal hashes have equal names. Returns
  ;; 1, or 0 at a fault or a longer run (the JS pass then decides and names). In calls of steps
  ;; [state.step, stepTo) (V8 swaps in optimised code only between calls): `state` holds
  ;; [entry, step, run length, entries in buf], starting as [first empty entry, 1, 0, 0].
  (func (export "probeRuns") (param $t i32) (param $cap i32) (param $stepTo i32) (param $buf i32) (param $state i32) (result i32)
    (local $span i32) (local $mask i32) (local $run i32) (local $n i32) (local $step i32) (local $i i32)
    (local $ref i32) (local $hash i32) (local $home i32) (local $dist i32) (local $a i32) (local $b i32)
    (local.set $span (i32.sub (local.get $cap) (i32.const 1)))
    (local.set $mask (local.get $span))
    (local.set $i (i32.load (local.get $state)))
    (local.set $step (i32.load offset=4 (local.get $state)))
    (local.set $run (i32.load offset=8 (local.get $state)))
    (local.set $n (i32.load offset=12 (local.get $state)))
    (block $done
      (loop $entries
        (br_if $done (i32.gt_u (local.get $step) (local.get $span)))
        (br_if $done (i32.ge_u (local.get $step) (local.get $stepTo)))
        (local.set $i (select (i32.const 1) (i32.add (local.get $i) (i32.const 1)) (i32.eq (local.get $i) (local.get $span))))
        (local.set $ref (i32.load (i32.add (local.get $t) (i32.shl (local.get $i) (i32.const 3)))))
        (block $next
          (if (i32.eqz (local.get $ref))
            (then
              ;; end of a run: equal hashes must have different names
              (local.set $a (i32.const 1))
              (block $pairs
                (loop $as
                  (br_if $pairs (i32.ge_u (local.get $a) (local.get $n)))
                  (local.set $b (i32.const 0))
                  (block $bend
                    (loop $bs
                      (br_if $bend (i32.ge_u (local.get $b) (local.get $a)))
                      (if (i32.eq (i32.load (i32.add (local.get $buf) (i32.shl (local.get $a) (i32.const 3))))
                                  (i32.load (i32.add (local.get $buf) (i32.shl (local.get $b) (i32.const 3)))))
                        (then
                          (if (call $sameName (i32.load offset=4 (i32.add (local.get $buf) (i32.shl (local.get $a) (i32.const 3))))
                                              (i32.load offset=4 (i32.add (local.get $buf) (i32.shl (local.get $b) (i32.const 3)))))
                            (then (return (i32.const 0))))))
                      (local.set $b (i32.add (local.get $b) (i32.const 1)))
                      (br $bs)))
                  (local.set $a (i32.add (local.get $a) (i32.const 1)))
                  (br $as)))
              (local.set $run (i32.const 0))
              (local.set $n (i32.const 0))
              (br $next)))
          (if (i32.ne (local.get $ref) (i32.const 1))
            (then
              (local.set $hash (i32.load offset=4 (i32.add (local.get $t) (i32.shl (local.get $i) (i32.const 3)))))
              (local.set $home (i32.and (local.get $hash) (local.get $mask)))
              (if (i32.eqz (local.get $home)) (then (local.set $home (i32.const 1))))
              (local.set $dist (i32.sub (local.get $i) (local.get $home)))
              (if (i32.lt_s (local.get $dist) (i32.const 0)) (then (local.set $dist (i32.add (local.get $dist) (local.get $span)))))
              (if (i32.gt_s (local.get $dist) (local.get $run)) (then (return (i32.const 0))))
              (if (i32.ge_u (local.get $n) (i32.const 64)) (then (return (i32.const 0))))
              (i32.store (i32.add (local.get $buf) (i32.shl (local.get $n) (i32.const 3))) (local.get $hash))
              (i32.store offset=4 (i32.add (local.get $buf) (i32.shl (local.get $n) (i32.const 3))) (local.get $ref))
              (local.set $n (i32.add (local.get $n) (i32.const 1)))))
          (local.set $run (i32.add (local.get $run) (i32.const 1))))
        (local.set $step (i32.add (local.get $step) (i32.const 1)))
        (br $entries)))
    (i32.store (local.get $state) (local.get $i))
    (i32.store offset=4 (local.get $state) (local.get $step))
    (i32.store offset=8 (local.get $state) (local.get $run))
    (i32.store offset=12 (local.get $state) (local.get $n))
    (i32.const 1))

  ;; SetCheck.gaps, one boundary at a time: the first unit in [from, units) of the claims bitmap
  ;; whose bit is `want` (1 taken, 0 free), else `units`. Whole words are tested at once (a
  ;; sound heap is claimed all through, and JavaScript that runs once walks it slowly).
  (func (export "nextUnit") (param $used i32) (param $from i32) (param $units i32) (param $want i32) (result i32)
    (local $u i32) (local $bits i32)
    (local.set $u (local.get $from))
    (block $done
      (loop $words
        (br_if $done (i32.ge_u (local.get $u) (local.get $units)))
        (local.set $bits (i32.load (i32.add (local.get $used) (i32.shl (i32.shr_u (local.get $u) (i32.const 5)) (i32.const 2)))))
        ;; bits equal to `want` become ones, then only those at or after u's position count
        (if (i32.eqz (local.get $want)) (then (local.set $bits (i32.xor (local.get $bits) (i32.const -1)))))
        (local.set $bits (i32.and (local.get $bits) (i32.shl (i32.const -1) (i32.and (local.get $u) (i32.const 31)))))
        (if (local.get $bits)
          (then
            (local.set $u (i32.add (i32.and (local.get $u) (i32.const -32)) (i32.ctz (local.get $bits))))
            (return (select (local.get $u) (local.get $units) (i32.lt_u (local.get $u) (local.get $units))))))
        (local.set $u (i32.add (i32.and (local.get $u) (i32.const -32)) (i32.const 32)))
        (br $words)))
    (local.get $units))
)
