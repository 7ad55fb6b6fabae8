// Renders a run as the "Sidecar latency and throughput" section of
// bench/RESULTS.md (a file shared with other benchmarks: only this section is replaced).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { ClosedLoopResult, OpenLoopResult } from './load.js';
import type { Machine } from './machine.js';

export const SECTION_TITLE = 'Sidecar latency and throughput';

export interface TargetResult {
  name: string;
  open: { json: OpenLoopResult; stream?: OpenLoopResult };
  closed: { json: ClosedLoopResult; stream?: ClosedLoopResult };
  /** Why streaming calls failed through this target (then only non-streaming was measured). */
  streamError?: string;
  /** CPU use during the non-streaming closed loop, % of one core. */
  cpu: { target: number; upstream: number; loadGenerator: number };
  rssIdleMiB?: number;
  rssPeakMiB?: number;
}

export interface Run {
  machine: Machine;
  loadAverageAfter: number[];
  quiet: boolean;
  settings: { rps: number; openSeconds: number; connections: number; requests: number; maxSeconds: number };
  results: TargetResult[];
  recorded?: { calls: number; recorded: number; costPicoUsd: string; unpriced: number };
}

const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
const signed = (x: number) => (Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${x.toFixed(2)}` : 'n/a');
const int = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(1)}×` : 'n/a');
const yes = (ok: boolean) => (ok ? '**met**' : '**not met**');

export interface Verdict {
  target: string;
  measured: string;
  met: boolean;
}

export function verdicts(run: Run): Verdict[] {
  const by = (name: string) => run.results.find((r) => r.name === name);
  const direct = by('direct');
  const tollgate = by('tollgate');
  if (!direct || !tollgate) return [];
  const out: Verdict[] = [];
  for (const mode of ['json', 'stream'] as const) {
    const label = mode === 'json' ? 'non-streaming' : 'streaming';
    const [mine, base] = [tollgate.open[mode], direct.open[mode]];
    if (!mine || !base) continue;
    const p50 = mine.latency.p50 - base.latency.p50;
    const p99 = mine.latency.p99 - base.latency.p99;
    out.push({
      target: `added p50 ≤ 0.5 ms at ${run.settings.rps} req/s (${label})`,
      measured: `${ms(p50)} ms`,
      met: p50 <= 0.5,
    });
    out.push({
      target: `added p99 ≤ 2 ms at ${run.settings.rps} req/s (${label})`,
      measured: `${ms(p99)} ms`,
      met: p99 <= 2,
    });
  }
  const rps = tollgate.closed.json.rps;
  out.push({
    target: `≥ 3,000 req/s on one core (non-streaming${run.machine.pinned ? ', taskset -c 1' : ', NOT pinned'})`,
    measured: `${int(rps)} req/s`,
    met: rps >= 3000,
  });
  if (tollgate.rssIdleMiB !== undefined) {
    out.push({
      target: 'RSS ≤ 64 MiB idle',
      measured: `${tollgate.rssIdleMiB.toFixed(1)} MiB`,
      met: tollgate.rssIdleMiB <= 64,
    });
  }
  for (const [name, factor] of [
    ['portkey', 3],
    ['litellm', 10],
  ] as const) {
    const other = by(name);
    if (!other) continue;
    const r = rps / other.closed.json.rps;
    out.push({
      target: `≥ ${factor}× ${name}'s max req/s (non-streaming)`,
      measured: `${r.toFixed(1)}×`,
      met: r >= factor,
    });
  }
  return out;
}

export function renderSection(run: Run, command: string): string {
  const { machine, settings } = run;
  const direct = run.results.find((r) => r.name === 'direct');
  const tollgate = run.results.find((r) => r.name === 'tollgate');
  const lines: string[] = [
    `## ${SECTION_TITLE}`,
    '',
    `Run ${machine.date} with \`${command}\`.`,
    '',
    `Machine: ${machine.cpus} CPUs (\`nproc\`), ${machine.cpuModel}, ${machine.memoryGiB} GiB memory, Node ${machine.node}. ` +
      `Load average (1/5/15 min) ${machine.loadAverage.join(' / ')} at the start, ${run.loadAverageAfter.join(' / ')} at the end` +
      (run.quiet
        ? '.'
        : ' — **the machine never got quiet (other test suites were running); numbers are noisier than they should be**.'),
    machine.pinned
      ? 'Each proxy under test ran alone on core 1 (`taskset -c 1`); the load generator, the simulated upstream and Redis shared core 0.'
      : 'No CPU pinning (fewer than two cores or no taskset).',
    '',
    `### Latency at ${settings.rps} req/s (open loop, ${settings.openSeconds} s per row)`,
    '',
    'Requests leave on a fixed schedule whatever the answers do; latency is from send to the last byte of the answer. "Added" is against the direct row of the same mode.',
    '',
    '| target | mode | p50 ms | p90 ms | p99 ms | max ms | added p50 | added p99 | achieved req/s | errors |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const mode of ['json', 'stream'] as const) {
    for (const r of run.results) {
      const label = mode === 'json' ? 'non-streaming' : 'streaming';
      const open = r.open[mode];
      if (!open) {
        lines.push(`| ${r.name} | ${label} | fails: ${r.streamError ?? 'not measured'} | | | | | | | |`);
        continue;
      }
      const l = open.latency;
      const base = direct?.open[mode]?.latency;
      lines.push(
        `| ${r.name} | ${label} | ${ms(l.p50)} | ${ms(l.p90)} | ${ms(l.p99)} | ${ms(l.max)} | ` +
          `${base ? signed(l.p50 - base.p50) : ''} | ${base ? signed(l.p99 - base.p99) : ''} | ${int(open.achievedRps)} | ${open.errors} |`,
      );
    }
  }
  lines.push(
    '',
    `### Max throughput (closed loop, ${settings.connections} connections, ${int(settings.requests)} requests or ${settings.maxSeconds} s)`,
    '',
    'CPU is % of one core during the non-streaming row: the proxy under test, the simulated upstream, the load generator.',
    '',
    '| target | non-streaming req/s | streaming req/s | p50 / p99 ms (non-streaming) | tollgate ÷ target | CPU: proxy / upstream / load gen | errors |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const r of run.results) {
    const c = r.closed.json;
    lines.push(
      `| ${r.name} | ${int(c.rps)} | ${r.closed.stream ? int(r.closed.stream.rps) : 'fails'} | ${ms(c.latency.p50)} / ${ms(c.latency.p99)} | ` +
        `${tollgate ? ratio(tollgate.closed.json.rps, c.rps) : ''} | ` +
        `${r.name === 'direct' ? '—' : int(r.cpu.target)} / ${int(r.cpu.upstream)} / ${int(r.cpu.loadGenerator)} | ${c.errors + (r.closed.stream?.errors ?? 0)} |`,
    );
  }
  lines.push(
    '',
    '### Memory (VmRSS of the process tree)',
    '',
    '| target | idle MiB (started, before any call) | peak MiB under load |',
    '| --- | ---: | ---: |',
  );
  for (const r of run.results.filter((x) => x.rssIdleMiB !== undefined)) {
    lines.push(`| ${r.name} | ${r.rssIdleMiB!.toFixed(1)} | ${r.rssPeakMiB!.toFixed(1)} |`);
  }
  if (run.recorded) {
    const rec = run.recorded;
    lines.push(
      '',
      `Every call through the sidecar was priced and recorded: Redis holds ${int(rec.recorded)} requests for ${int(rec.calls)} answered calls, ` +
        `${rec.unpriced} unpriced, cost ${rec.costPicoUsd} pico-USD.`,
    );
  }
  lines.push('', '### Targets from issue 3', '', '| target | measured | |', '| --- | ---: | --- |');
  for (const v of verdicts(run)) lines.push(`| ${v.target} | ${v.measured} | ${yes(v.met)} |`);
  return lines.join('\n') + '\n';
}

/** Replaces this benchmark's section of RESULTS.md (or appends it), leaving other sections alone. */
export function writeSection(file: string, section: string): void {
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  const heading = `## ${SECTION_TITLE}`;
  const start = current.indexOf(heading);
  if (start === -1) {
    writeFileSync(file, `${current.trimEnd()}\n\n${section}`);
    return;
  }
  const next = current.indexOf('\n## ', start + heading.length);
  const end = next === -1 ? current.length : next + 1;
  writeFileSync(
    file,
    `${current.slice(0, start)}${section}${end < current.length ? '\n' : ''}${current.slice(end)}`,
  );
}
