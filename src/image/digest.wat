;; The image digest of a saved vector set (image-digest.ts): what a snapshot's records and heap
;; images are checked against instead of CRC-32. Why not CRC-32: Node's zlib.crc32 runs at about
;; 3-4 GB/s here (its build has no carry-less multiply, and WebAssembly has none), about a tenth
;; of a 100k-element load's CPU; this runs at memory speed (10+ GB/s over 32 MB).
;;
;; An image is cut into 4 KiB blocks; each block is digested with a seed naming the image and the
;; block's index into two 32-bit words, and the words of all blocks are summed (mod 2^32), so a
;; digest can be taken in pieces, by any thread, in any order. In a block, 16 lanes run xxHash32's
;; round over the 64-byte stripes (acc = rotl(acc + word * P2, 13) * P1: a bijection of acc for a
;; fixed word and of the word for a fixed acc, so one differing word always leaves its lane
;; different); the bytes after the last whole stripe go through FNV-1a (one differing byte always
;; shows there too). The lanes are then folded two ways (XOR, and a sum of rotations, each a
;; bijection of any one lane) and each fold and the tail pass through a chain of murmur3's fmix32,
;; also bijective, into one of the two words. So any one damaged word or byte of a block changes
;; both words; other damage goes unseen with a chance of about 2^-64.
(module
  (import "env" "memory" (memory 1 65536 shared))

  (global $sum2 (mut i32) (i32.const 0))

  ;; the second word of the last `digest` call's sum
  (func (export "sum2") (result i32) (global.get $sum2))

  (func $fmix (param $h i32) (result i32)
    (local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 16))))
    (local.set $h (i32.mul (local.get $h) (i32.const 0x85ebca6b)))
    (local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 13))))
    (local.set $h (i32.mul (local.get $h) (i32.const 0xc2b2ae35)))
    (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 16))))

  ;; The sum of the digests of the blocks of [ptr, ptr + len): 4 KiB each (the last one may be
  ;; shorter), the first with index `block0` in image `image`. Returns the first word; the
  ;; second is `sum2`.
  (func (export "digest") (param $ptr i32) (param $len i32) (param $block0 i32) (param $image i32) (result i32)
    (local $a v128) (local $b v128) (local $c v128) (local $d v128) (local $x v128) (local $y v128)
    (local $p1 v128) (local $p2 v128)
    (local $p i32) (local $end i32) (local $stop i32) (local $n i32) (local $seed i32) (local $t i32)
    (local $h1 i32) (local $h2 i32) (local $s1 i32) (local $s2 i32) (local $blk i32) (local $all i32)
    (local.set $p1 (i32x4.splat (i32.const 0x9e3779b1)))
    (local.set $p2 (i32x4.splat (i32.const 0x85ebca77)))
    (local.set $all (i32.add (local.get $ptr) (local.get $len)))
    (local.set $blk (local.get $block0))
    (block $blocksDone
      (loop $blocks
        (br_if $blocksDone (i32.ge_u (local.get $ptr) (local.get $all)))
        (local.set $n (i32.sub (local.get $all) (local.get $ptr)))
        (if (i32.gt_u (local.get $n) (i32.const 4096)) (then (local.set $n (i32.const 4096))))
        (local.set $seed (i32.xor
          (i32.mul (i32.add (local.get $blk) (i32.const 1)) (i32.const 0x9e3779b9))
          (i32.mul (local.get $image) (i32.const 0x85ebca6b))))
        (local.set $x (i32x4.splat (local.get $seed)))
        (local.set $a (i32x4.add (local.get $x) (v128.const i32x4 0x24234428 0x85ebca77 0xc2b2ae3d 0x27d4eb2f)))
        (local.set $b (i32x4.add (local.get $x) (v128.const i32x4 0x165667b1 0x61c88647 0x7feb352d 0x846ca68b)))
        (local.set $c (i32x4.add (local.get $x) (v128.const i32x4 0x2545f491 0x4f1bbcdd 0x9e3779b9 0x3c6ef372)))
        (local.set $d (i32x4.add (local.get $x) (v128.const i32x4 0xdaa66d2b 0x78dde6e5 0x1b873593 0xcc9e2d51)))
        (local.set $p (local.get $ptr))
        (local.set $end (i32.add (local.get $ptr) (local.get $n)))
        (local.set $stop (i32.add (local.get $ptr) (i32.and (local.get $n) (i32.const -64))))
        (block $done
          (loop $stripes
            (br_if $done (i32.ge_u (local.get $p) (local.get $stop)))
            ;; xxHash32's round, written out (V8 does not inline WebAssembly calls)
            (local.set $a (i32x4.add (local.get $a) (i32x4.mul (v128.load (local.get $p)) (local.get $p2))))
            (local.set $a (i32x4.mul (v128.or (i32x4.shl (local.get $a) (i32.const 13)) (i32x4.shr_u (local.get $a) (i32.const 19))) (local.get $p1)))
            (local.set $b (i32x4.add (local.get $b) (i32x4.mul (v128.load offset=16 (local.get $p)) (local.get $p2))))
            (local.set $b (i32x4.mul (v128.or (i32x4.shl (local.get $b) (i32.const 13)) (i32x4.shr_u (local.get $b) (i32.const 19))) (local.get $p1)))
            (local.set $c (i32x4.add (local.get $c) (i32x4.mul (v128.load offset=32 (local.get $p)) (local.get $p2))))
            (local.set $c (i32x4.mul (v128.or (i32x4.shl (local.get $c) (i32.const 13)) (i32x4.shr_u (local.get $c) (i32.const 19))) (local.get $p1)))
            (local.set $d (i32x4.add (local.get $d) (i32x4.mul (v128.load offset=48 (local.get $p)) (local.get $p2))))
            (local.set $d (i32x4.mul (v128.or (i32x4.shl (local.get $d) (i32.const 13)) (i32x4.shr_u (local.get $d) (i32.const 19))) (local.get $p1)))
            (local.set $p (i32.add (local.get $p) (i32.const 64)))
            (br $stripes)))
        (local.set $t (local.get $seed))
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $p) (local.get $end)))
            (local.set $t (i32.mul (i32.xor (local.get $t) (i32.load8_u (local.get $p))) (i32.const 0x01000193)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $tail)))
        ;; the two folds of the 16 lanes into 4
        (local.set $x (v128.xor (v128.xor (local.get $a) (local.get $b)) (v128.xor (local.get $c) (local.get $d))))
        (local.set $y (i32x4.add
          (i32x4.add (local.get $a) (v128.or (i32x4.shl (local.get $b) (i32.const 7)) (i32x4.shr_u (local.get $b) (i32.const 25))))
          (i32x4.add
            (v128.or (i32x4.shl (local.get $c) (i32.const 15)) (i32x4.shr_u (local.get $c) (i32.const 17)))
            (v128.or (i32x4.shl (local.get $d) (i32.const 23)) (i32x4.shr_u (local.get $d) (i32.const 9))))))
        (local.set $h1 (call $fmix (i32.xor (local.get $seed) (local.get $n))))
        (local.set $h2 (call $fmix (i32.add (i32.xor (local.get $seed) (i32.const -1)) (local.get $n))))
        (local.set $h1 (call $fmix (i32.xor (local.get $h1) (i32x4.extract_lane 0 (local.get $x)))))
        (local.set $h2 (call $fmix (i32.add (local.get $h2) (i32x4.extract_lane 0 (local.get $y)))))
        (local.set $h1 (call $fmix (i32.xor (local.get $h1) (i32x4.extract_lane 1 (local.get $x)))))
        (local.set $h2 (call $fmix (i32.add (local.get $h2) (i32x4.extract_lane 1 (local.get $y)))))
        (local.set $h1 (call $fmix (i32.xor (local.get $h1) (i32x4.extract_lane 2 (local.get $x)))))
        (local.set $h2 (call $fmix (i32.add (local.get $h2) (i32x4.extract_lane 2 (local.get $y)))))
        (local.set $h1 (call $fmix (i32.xor (local.get $h1) (i32x4.extract_lane 3 (local.get $x)))))
        (local.set $h2 (call $fmix (i32.add (local.get $h2) (i32x4.extract_lane 3 (local.get $y)))))
        (local.set $h1 (call $fmix (i32.xor (local.get $h1) (local.get $t))))
        (local.set $h2 (call $fmix (i32.add (local.get $h2) (local.get $t))))
        (local.set $s1 (i32.add (local.get $s1) (local.get $h1)))
        (local.set $s2 (i32.add (local.get $s2) (local.get $h2)))
        (local.set $ptr (local.get $end))
        (local.set $blk (i32.add (local.get $blk) (i32.const 1)))
        (br $blocks)))
    (global.set $sum2 (local.get $s2))
    (local.get $s1))
)
