// The price table in force, swapped whole when a source delivers new prices,
// so a call always sees one consistent table and no restart is needed.
import { compilePriceTable, type PriceTable } from '../../core/pricing.js';
import type { ModelPriceSpec } from '../../core/types.js';

export class PriceBook {
  table: PriceTable = compilePriceTable([]);
  /** Source-specific version (file mtime, or the operator's published version). */
  version: string | undefined;
  /** A source has delivered at least once (an empty table counts). */
  loaded = false;

  /** Throws on malformed specs, keeping the previous table. */
  replace(specs: readonly ModelPriceSpec[], version: string): void {
    this.table = compilePriceTable(specs);
    this.version = version;
    this.loaded = true;
  }
}

export interface PriceSource {
  close(): Promise<void>;
}

/** Where a source reports what went wrong; prices never carry secrets. */
export type PriceLog = (
  level: 'info' | 'warn' | 'error',
  message: string,
  fields?: Record<string, unknown>,
) => void;
