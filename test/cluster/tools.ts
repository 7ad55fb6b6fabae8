// The control plane's binaries: built from source by test/tools/build.sh,
// cached per version. Returns a PATH with them in front, so `kubectl` and
// `helm` mean the pinned builds for the tests and the demo.
import { execFileSync } from 'node:child_process';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const buildScript = join(dirname(fileURLToPath(import.meta.url)), '..', 'tools', 'build.sh');

export function toolsPath(): string {
  const dirs = execFileSync('bash', [buildScript], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  return [dirs, process.env.PATH ?? ''].join(delimiter);
}
