// Money leaves the operator as decimal USD strings: exact for what was spent
// (status is the chargeback record), rounded to cents for estimates.
import { formatUsd, type PicoUsd } from '../core/money.js';

/** Exact decimal USD, trailing zeros trimmed to at least cents: 1_500_000_000_000n -> "1.50". */
export function exactUsd(amount: PicoUsd): string {
  const full = formatUsd(amount, 12);
  return full.replace(/0{1,10}$/, '');
}

/** Rounded to cents, for projections: "1234.57". */
export function centsUsd(amount: PicoUsd): string {
  return formatUsd(amount, 2);
}

/** Float USD, for metrics only (Prometheus samples are floats). */
export function usdNumber(amount: PicoUsd): number {
  return Number(amount) / 1e12;
}
