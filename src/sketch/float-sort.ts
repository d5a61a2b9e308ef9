// In-place ascending sort of a Float64Array for the t-digest's buffer: an LSD radix sort on the upper bits of
// each value's sortable bit pattern, finished by an insertion pass. Same order as Float64Array.prototype.sort
// for finite values (−0 before +0); NaN must not occur (callers validate).
//
// Why: the buffer sort is most of the ingest cost and of a window's flush at its close. The radix passes use
// 8-bit digits (256 buckets: at the 1 000 values of a closing window, 2 048-bucket histograms cost as much as
// the values). First try: the upper 24 bits (sign, exponent, 12 mantissa bits), which order values to a
// relative resolution of ~2.4e-4, with the few neighbours that share them put in order by the insertion
// pass. Data that mostly shares them (values spread over less than that, e.g. epoch timestamps within days)
// would make that pass quadratic, so it gives up after SHIFT_BUDGET_PER_VALUE·n moves and the values are
// sorted again on the upper 32 bits (resolution ~1e-6); if even that leaves too much to the insertion pass,
// the built-in sort finishes the (by then nearly sorted) array. test/bench/sketch.bench.ts measures it
// against the built-in sort in the same run.

const DIGIT_BITS = 8;
const BUCKETS = 1 << DIGIT_BITS;
const DIGIT_MASK = BUCKETS - 1;
/** Below this the built-in sort is as fast. */
const MIN_RADIX_LENGTH = 256;
const SHIFT_BUDGET_PER_VALUE = 8;
/** The 24-bit try gives up sooner: its fallback, the 32-bit passes, is cheap. */
const FIRST_TRY_BUDGET_PER_VALUE = 2;

// Scratch shared by all calls: sorting is synchronous, so one set suffices.
const counts = new Int32Array(BUCKETS * 4);
let keysA = new Uint32Array(2048);
let keysB = new Uint32Array(2048);
let valuesB = new Float64Array(2048);

export function sortFloat64(a: Float64Array): void {
  const n = a.length;
  if (n < MIN_RADIX_LENGTH) {
    a.sort();
    return;
  }
  if (keysA.length < n) {
    keysA = new Uint32Array(n);
    keysB = new Uint32Array(n);
    valuesB = new Float64Array(n);
  }
  radixSort(a, 3);
  if (insertionFinish(a, FIRST_TRY_BUDGET_PER_VALUE)) return;
  radixSort(a, 4);
  if (!insertionFinish(a, SHIFT_BUDGET_PER_VALUE)) a.sort();
}

/**
 * radixPasses, then the result copied back into `a` when an odd number of passes left it in the scratch
 * array (by index: a subarray here was an allocation per sort). The copy is out here, not after the loops
 * in radixPasses: V8 compiles those loops on the first long sort (on-stack replacement) before the code
 * after them ever ran, and that code then deoptimised at the end of every sort.
 */
function radixSort(a: Float64Array, digits: number): void {
  const sorted = radixPasses(a, digits);
  if (sorted !== a) copyInto(a, sorted);
}

function copyInto(a: Float64Array, from: Float64Array): void {
  for (let i = 0; i < a.length; i++) a[i] = from[i];
}

/**
 * Stable LSD radix sort of `a` on the top `digits` bytes of the upper 32 bits of each value's sortable
 * pattern; returns the array holding the result, `a` or the scratch array (valid in [0, a.length)).
 */
function radixPasses(a: Float64Array, digits: number): Float64Array {
  const n = a.length;
  // little-endian: word 2i + 1 holds the sign, the exponent and the top 20 mantissa bits of a[i]
  const words = new Uint32Array(a.buffer, a.byteOffset, n * 2);
  const drop = (4 - digits) * DIGIT_BITS;
  counts.fill(0);
  let keySrc = keysA;
  let keyDst = keysB;
  for (let i = 0; i < n; i++) {
    const hi = words[2 * i + 1];
    // sortable as unsigned: negative values reversed (all bits flipped), positive ones above them
    const key = ((hi & 0x80000000) !== 0 ? ~hi >>> 0 : (hi | 0x80000000) >>> 0) >>> drop;
    keySrc[i] = key;
    counts[key & DIGIT_MASK]++;
    counts[BUCKETS + ((key >>> DIGIT_BITS) & DIGIT_MASK)]++;
    counts[2 * BUCKETS + ((key >>> (2 * DIGIT_BITS)) & DIGIT_MASK)]++;
    counts[3 * BUCKETS + (key >>> (3 * DIGIT_BITS))]++;
  }
  let valueSrc: Float64Array = a;
  let valueDst: Float64Array = valuesB;
  for (let pass = 0; pass < digits; pass++) {
    const base = pass * BUCKETS;
    // counts → start offsets; a digit shared by every key orders nothing, so its pass is skipped
    let start = 0;
    let trivial = false;
    for (let b = 0; b < BUCKETS; b++) {
      const c = counts[base + b];
      if (c === n) {
        trivial = true;
        break;
      }
      counts[base + b] = start;
      start += c;
    }
    if (trivial) continue;
    const shift = pass * DIGIT_BITS;
    for (let i = 0; i < n; i++) {
      const key = keySrc[i];
      const at = counts[base + ((key >>> shift) & DIGIT_MASK)]++;
      keyDst[at] = key;
      valueDst[at] = valueSrc[i];
    }
    const k = keySrc;
    keySrc = keyDst;
    keyDst = k;
    const v = valueSrc;
    valueSrc = valueDst;
    valueDst = v;
  }
  return valueSrc;
}

/** Insertion pass over a nearly sorted array; false (the array left permuted) when it ran out of budget. */
function insertionFinish(a: Float64Array, budgetPerValue: number): boolean {
  const n = a.length;
  let budget = budgetPerValue * n;
  for (let i = 1; i < n; i++) {
    const x = a[i];
    if (a[i - 1] <= x) continue;
    let j = i - 1;
    while (j >= 0 && a[j] > x) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = x;
    budget -= i - 1 - j;
    if (budget < 0) return false;
  }
  return true;
}
