// Prices from TOLLGATE_PRICES_FILE: multi-document YAML of ModelPrice resources.
// Polled by mtime (fs.watchFile) rather than fs.watch, because a mounted
// ConfigMap changes by swapping a symlink, which inotify watches miss.
import { readFile, stat } from 'node:fs/promises';
import { unwatchFile, watchFile } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { ModelPrice, ModelPriceSpec } from '../../core/types.js';
import type { PriceBook, PriceLog, PriceSource } from './price-book.js';

export function parsePriceDocuments(text: string): ModelPriceSpec[] {
  const specs: ModelPriceSpec[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(doc.errors[0]!.message);
    const value = doc.toJS() as Partial<ModelPrice> | null;
    if (value === null || value === undefined) continue;
    if (value.kind !== 'ModelPrice' || typeof value.spec !== 'object') continue;
    specs.push(value.spec);
  }
  return specs;
}

export async function startFilePriceSource(
  path: string,
  book: PriceBook,
  log: PriceLog,
  intervalMs = 1000,
): Promise<PriceSource> {
  const load = async () => {
    try {
      const { mtimeMs } = await stat(path);
      const version = `file:${mtimeMs}`;
      if (version === book.version) return;
      book.replace(parsePriceDocuments(await readFile(path, 'utf8')), version);
      log('info', 'prices loaded', { source: path, models: book.table.size });
    } catch (error) {
      log('error', 'prices file rejected; keeping the previous prices', {
        source: path,
        error: (error as Error).message,
      });
    }
  };
  await load();
  watchFile(path, { interval: intervalMs, persistent: false }, () => void load());
  return {
    close: () => {
      unwatchFile(path);
      return Promise.resolve();
    },
  };
}
