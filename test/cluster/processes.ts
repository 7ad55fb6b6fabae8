// Starting and stopping the local control plane's processes. Each runs
// detached with its output in a log file and its pid in the state directory,
// so `cluster:down` (or a later `cluster:up`) can find and stop it.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

export interface Started {
  name: string;
  pid: number;
  log: string;
}

/** A free TCP port on loopback, chosen by the kernel. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export function startProcess(
  name: string,
  command: string,
  args: string[],
  stateDir: string,
  env: Record<string, string> = {},
): Started {
  const log = join(stateDir, `${name}.log`);
  const fd = openSync(log, 'a');
  const child = spawn(command, args, {
    detached: true,
    stdio: ['ignore', fd, fd],
    cwd: stateDir,
    env: { ...process.env, ...env },
  });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  child.unref();
  return { name, pid: child.pid, log };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function logTail(path: string, lines = 30): string {
  if (!existsSync(path)) return '(no log)';
  return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * Polls `ready` until it returns true. Fails early, with the tail of the
 * component's log, if the process has died, and after `timeoutMs` otherwise.
 */
export async function waitUntilReady(
  started: Started,
  ready: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await ready().catch(() => false)) return;
    if (!isAlive(started.pid)) {
      throw new Error(
        `${started.name} exited during start-up; last lines of ${started.log}:\n${logTail(started.log)}`,
      );
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${started.name} not healthy after ${timeoutMs} ms; last lines of ${started.log}:\n${logTail(started.log)}`,
      );
    }
    await delay(100);
  }
}

/** SIGTERM, then SIGKILL if the process is still alive after `graceMs`. */
export async function stopProcess(pid: number, graceMs = 10_000): Promise<void> {
  if (!isAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await delay(50);
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  while (isAlive(pid)) await delay(20);
}
