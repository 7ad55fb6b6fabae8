// `tollgate sidecar`: configured by TOLLGATE_* variables (see config.ts). On
// SIGTERM it stops accepting, lets in-flight calls finish for up to
// TOLLGATE_SHUTDOWN_GRACE_MS (then stops them and records estimates), flushes
// the ledger, exits.
import { ConfigError, loadConfig } from './config.js';
import { startSidecar } from './server.js';

export async function main(_args: string[]): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`tollgate sidecar: ${error.message}\n`);
    process.exit(2);
  }
  const sidecar = await startSidecar(config);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    sidecar.log.info({ signal }, 'stopping: finishing in-flight calls and flushing the ledger');
    sidecar.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`tollgate sidecar: shutdown failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
