// Money leaves the operator as decimal USD strings: exact for what was spent
// (status is the chargeback record), rounded to cents for estimates.
import { formatUsd, type PicoUsd } from '../core/money.js';

/** Exact decimal USD, trailing zeros trimmed to at least cents: 1_500_000_000_000n -> "1.50". */
export function exactUsd(amount: PicoUsd): string {
  const full = formatUsd(amount, 12);
  return full.replace(/0{1,10}$/, '');
}

const PICO_PER_CENT = 10_000_000_000n;
/** Significant digits of a projection: more would be false precision, and would change every sync. */
const ESTIMATE_DIGITS = 3;

/** A projection, to 3 significant digits and at most cents: 856.72 -> "857.00", 7.354 -> "7.35". */
export function estimateUsd(amount: PicoUsd): string {
  const cents = (amount + PICO_PER_CENT / 2n) / PICO_PER_CENT;
  const spare = Math.max(cents.toString().length - ESTIMATE_DIGITS, 0);
  const unit = 10n ** BigInt(spare);
  const rounded = ((cents + unit / 2n) / unit) * unit;
  return formatUsd(rounded * PICO_PER_CENT, 2);
}

/** Float USD, for metrics only (Prometheus samples are floats). */
export function usdNumber(amount: PicoUsd): number {
  return Number(amount) / 1e12;
}
