// Process orchestration for the demo: the build, kubectl, and the operator and
// sidecars as child processes of the built binary (logs in .cluster/demo/),
// each stopped with SIGTERM and, if it will not go, SIGKILL.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import type { ClusterEnv } from '../test/cluster/control-plane.js';
import { logTail } from '../test/cluster/processes.js';

const SOURCES = ['cli.ts', 'core', 'ledger', 'operator', 'sidecar'];
export const CLI = join('dist', 'cli.js');

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return /\.(ts|lua)$/.test(path) ? stat.mtimeMs : 0;
  return Math.max(0, ...readdirSync(path).map((entry) => newestMtime(join(path, entry))));
}

/** True when dist/cli.js is missing or older than a source file it is built from. */
export function buildNeeded(): boolean {
  if (!existsSync(CLI)) return true;
  const built = statSync(CLI).mtimeMs;
  return SOURCES.some((source) => newestMtime(source) > built);
}

/** Runs a command to completion with the terminal attached; rejects on a non-zero exit. */
export function runInherited(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? code})`)),
    );
  });
}

/** Runs the pinned kubectl (first on the cluster's PATH); resolves to its stdout. */
export function kubectl(env: ClusterEnv, args: string[], stdin?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'kubectl',
      args,
      { env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) =>
        error
          ? reject(new Error(`kubectl ${args.join(' ')}: ${stderr.trim() || error.message}`))
          : resolve(stdout),
    );
    if (stdin !== undefined) child.stdin?.end(stdin);
  });
}

export interface Child {
  name: string;
  log: string;
  process: ChildProcess;
  exited: Promise<void>;
  /** Set once the demo itself stops it, so its exit is not reported as a crash. */
  stopping: boolean;
}

/** Children still running, so a signal at any moment can stop them all. */
const children = new Set<Child>();

export function startChild(
  name: string,
  args: string[],
  env: Record<string, string>,
  logDir: string,
  onUnexpectedExit: (child: Child, code: number | null) => void,
): Child {
  mkdirSync(logDir, { recursive: true });
  const log = join(logDir, `${name}.log`);
  const fd = openSync(log, 'a');
  const started = spawn(process.execPath, [CLI, ...args], {
    stdio: ['ignore', fd, fd],
    env: { ...process.env, ...env },
  });
  closeSync(fd);
  const child: Child = {
    name,
    log,
    process: started,
    stopping: false,
    exited: new Promise((resolve) =>
      started.once('exit', (code) => {
        children.delete(child);
        if (!child.stopping) onUnexpectedExit(child, code);
        resolve();
      }),
    ),
  };
  children.add(child);
  return child;
}

async function stopChild(child: Child, graceMs = 10_000): Promise<void> {
  child.stopping = true;
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill('SIGTERM');
  const timedOut = sleep(graceMs).then(() => 'timeout' as const);
  if ((await Promise.race([child.exited, timedOut])) === 'timeout') {
    child.process.kill('SIGKILL');
    await child.exited;
  }
}

/** Stops every child still running: sidecars first (they flush their ledgers), then the operator. */
export async function stopChildren(): Promise<void> {
  const all = [...children];
  await Promise.all(all.filter((c) => c.name !== 'operator').map((c) => stopChild(c)));
  await Promise.all(all.filter((c) => c.name === 'operator').map((c) => stopChild(c)));
}

/** Polls an HTTP endpoint until `ok` accepts its response, failing early if the child died. */
export async function waitForHttp(
  child: Child,
  url: string,
  ok: (status: number, body: string) => boolean,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await request(url);
      if (ok(response.statusCode, await response.body.text())) return;
    } catch {
      // not listening yet
    }
    if (child.process.exitCode !== null)
      throw new Error(
        `${child.name} exited during start-up; last lines of ${child.log}:\n${logTail(child.log)}`,
      );
    if (Date.now() > deadline)
      throw new Error(
        `${child.name} not ready after ${timeoutMs} ms; last lines of ${child.log}:\n${logTail(child.log)}`,
      );
    await sleep(200);
  }
}
