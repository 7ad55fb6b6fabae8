// What the numbers were measured on, and what a process costs: RSS and CPU
// time read from /proc (a process and its descendants, since LiteLLM may fork).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { availableParallelism, loadavg, totalmem } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';

export interface Machine {
  date: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  loadAverage: number[];
  pinned: boolean;
}

export function describeMachine(pinned: boolean): Machine {
  const model = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
  return {
    date: new Date().toISOString(),
    cpus: availableParallelism(),
    cpuModel: model,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
    pinned,
  };
}

/** `taskset` when the machine has a second core to give the proxy under test. */
export function canPin(): boolean {
  return availableParallelism() >= 2 && existsSync('/usr/bin/taskset');
}

/** Pins every thread of `pid` to `cpu` (the load generator keeps core 0; proxies get core 1). */
export function pin(pid: number, cpu: number): void {
  execFileSync('taskset', ['-a', '-c', '-p', String(cpu), String(pid)], { stdio: 'ignore' });
}

function descendants(pid: number): number[] {
  const children: number[] = [];
  const taskDir = `/proc/${pid}/task`;
  if (!existsSync(taskDir)) return children;
  for (const tid of readdirSync(taskDir)) {
    const list = readFileSync(`${taskDir}/${tid}/children`, 'utf8').trim();
    if (list) children.push(...list.split(/\s+/).map(Number));
  }
  return children.flatMap((child) => [child, ...descendants(child)]);
}

const tree = (pid: number) => [pid, ...descendants(pid)];

function safely<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback; // the process exited between listing and reading
  }
}

/** Resident memory of a process tree in MiB (VmRSS from /proc/<pid>/status). */
export function rssMiB(pid: number): number {
  const kib = tree(pid).reduce((sum, p) => {
    const status = safely(() => readFileSync(`/proc/${p}/status`, 'utf8'), '');
    return sum + Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  }, 0);
  return kib / 1024;
}

/** CPU seconds (user + system) a process tree has used so far. */
export function cpuSeconds(pid: number): number {
  const ticksPerSecond = 100; // USER_HZ, 100 on every Linux this runs on
  const ticks = tree(pid).reduce((sum, p) => {
    const stat = safely(() => readFileSync(`/proc/${p}/stat`, 'utf8'), '');
    // Fields after the ")" closing the command name: utime is the 12th, stime the 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return sum + Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  }, 0);
  return ticks / ticksPerSecond;
}

/** Samples a process tree's RSS every 100 ms until stopped; returns the peak. */
export function watchPeakRss(pid: number): () => number {
  let peak = rssMiB(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 100);
  return () => {
    clearInterval(timer);
    return Math.max(peak, rssMiB(pid));
  };
}

/**
 * Waits (polling every 15 s) until the 1-minute load average drops below
 * `threshold`, at most `maxMinutes`. Returns whether it got quiet.
 */
export async function waitForQuiet(threshold: number, maxMinutes: number): Promise<boolean> {
  const deadline = Date.now() + maxMinutes * 60_000;
  for (;;) {
    const [oneMinute = 0] = loadavg();
    if (oneMinute < threshold) return true;
    if (Date.now() > deadline) return false;
    process.stderr.write(
      `load average ${oneMinute.toFixed(2)} >= ${threshold}; waiting for a quiet machine\n`,
    );
    await delay(15_000);
  }
}
