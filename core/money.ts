// Money is integer all the way down. Two units:
//  - a price is micro-USD per million tokens (USD "2.50" per 1M -> 2_500_000n),
//    which is numerically the same as pico-USD per token;
//  - spend is pico-USD (1e-12 USD), so tokens x price is exact with no rounding.
// Decimals exist only at the edges: CRD strings in, display strings out.

/** 1e-12 USD. */
export type PicoUsd = bigint;
/** 1e-6 USD per million tokens == 1e-12 USD per token. */
export type MicroUsdPerMillion = bigint;

export const PICO_PER_USD = 1_000_000_000_000n;
export const PICO_PER_MICRO = 1_000_000n;

const DECIMAL_USD = /^(\d{1,12})(?:\.(\d{1,12}))?$/;

/** Parses a non-negative decimal USD string into an integer of 10^-scale USD, refusing lost precision. */
function parseScaled(text: string, scale: number): bigint {
  const match = DECIMAL_USD.exec(text.trim());
  if (!match) throw new Error(`not a non-negative decimal USD amount: ${JSON.stringify(text)}`);
  const whole = match[1] ?? '0';
  const fraction = match[2] ?? '';
  if (fraction.replace(/0+$/, '').length > scale) {
    throw new Error(`${JSON.stringify(text)} has more than ${scale} decimal places`);
  }
  return BigInt(whole + fraction.padEnd(scale, '0').slice(0, scale));
}

/** "2.50" (USD per 1M tokens) -> 2_500_000n. At most 6 decimals. */
export function parsePricePerMillion(text: string): MicroUsdPerMillion {
  return parseScaled(text, 6);
}

/** "500" (USD) -> 500_000_000_000_000n pico-USD. */
export function parseUsd(text: string): PicoUsd {
  return parseScaled(text, 12);
}

/** Exact cost of `tokens` at `price`. */
export function costOf(tokens: number, price: MicroUsdPerMillion): PicoUsd {
  if (!Number.isSafeInteger(tokens) || tokens < 0)
    throw new Error(`token count must be a non-negative integer: ${tokens}`);
  return BigInt(tokens) * price;
}

/** Formats pico-USD as a decimal USD string with `decimals` places, rounding half up. */
export function formatUsd(amount: PicoUsd, decimals = 2): string {
  const negative = amount < 0n;
  const abs = negative ? -amount : amount;
  const unit = 10n ** BigInt(12 - decimals);
  const rounded = (abs + unit / 2n) / unit;
  const text = rounded.toString().padStart(decimals + 1, '0');
  const body = decimals === 0 ? text : `${text.slice(0, -decimals)}.${text.slice(-decimals)}`;
  return (negative ? '-' : '') + body;
}

/** Formats as a display amount, e.g. "$500.00". */
export function displayUsd(amount: PicoUsd, decimals = 2): string {
  const text = formatUsd(amount, decimals);
  return text.startsWith('-') ? `-$${text.slice(1)}` : `$${text}`;
}
