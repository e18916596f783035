// KRX price rules the order ticket checks before it sends anything: the
// tick grid and the day's price band. Prices are whole won held as BigInt,
// never floats, so that no check is off by binary rounding.

// TICKS lists the tick size below each price boundary; from 500,000 won up
// the tick is 1,000. Every boundary is a multiple of the larger tick, so
// rounding to the grid never lands between two ranges.
const TICKS = [
  [2000n, 1n],
  [5000n, 5n],
  [20000n, 10n],
  [50000n, 50n],
  [200000n, 100n],
  [500000n, 500n],
];
const TOP_TICK = 1000n;

/** The tick size at a price (BigInt won). */
export function tickSize(price) {
  for (const [below, tick] of TICKS) {
    if (price < below) return tick;
  }
  return TOP_TICK;
}

/** The price rounded down to the tick grid. */
export function floorTick(price) {
  return price - (price % tickSize(price));
}

/** The price rounded up to the tick grid. */
export function ceilTick(price) {
  const down = floorTick(price);
  return down === price ? price : down + tickSize(price);
}

/** Whether a positive price sits on the tick grid. */
export function onGrid(price) {
  return price > 0n && price % tickSize(price) === 0n;
}

/**
 * Parses whole won as typed by a person ("70,000", " 70000 "), or returns
 * null for anything else: signs, decimals and exponents are refused here
 * as the server refuses them.
 */
export function parseWon(text) {
  const s = String(text ?? "").replace(/[,\s]/g, "");
  if (!/^[0-9]{1,15}$/.test(s)) return null;
  return BigInt(s);
}

/**
 * Checks a limit price against the grid and the band of a listing whose
 * lower_limit and upper_limit (decimal strings) the API reported. The
 * answer says why a price is refused and which valid prices are nearest:
 *   {ok: true}
 *   {ok: false, reason: "format"}
 *   {ok: false, reason: "band", lower, upper}
 *   {ok: false, reason: "grid", tick, below, above}
 * below or above is null when rounding that way leaves the band.
 */
export function checkLimitPrice(text, stock) {
  const price = parseWon(text);
  if (price === null || price <= 0n) return { ok: false, reason: "format" };
  const lower = parseWon(stock.lower_limit);
  const upper = parseWon(stock.upper_limit);
  if (lower !== null && upper !== null && (price < lower || price > upper)) {
    return { ok: false, reason: "band", lower, upper };
  }
  if (!onGrid(price)) {
    const below = floorTick(price);
    const above = ceilTick(price);
    return {
      ok: false,
      reason: "grid",
      tick: tickSize(price),
      below: lower !== null && below < lower ? null : below,
      above: upper !== null && above > upper ? null : above,
    };
  }
  return { ok: true, price };
}

/** The largest order quantity the API takes. */
export const MAX_QUANTITY = 1000000n;

/** Parses a share quantity, or returns null outside 1..MAX_QUANTITY. */
export function parseQuantity(text) {
  const q = parseWon(text);
  if (q === null || q < 1n || q > MAX_QUANTITY) return null;
  return q;
}
