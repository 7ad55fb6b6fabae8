#!/usr/bin/env node
// tollgate <command>: one binary, one image, every role.
const commands: Record<string, { summary: string; run: (args: string[]) => Promise<void> }> = {
  sidecar: {
    summary: 'the per-pod metering proxy (configured by TOLLGATE_* environment variables)',
    run: async (args) => (await import('./sidecar/main.js')).main(args),
  },
  operator: {
    summary: 'reconciles TeamBudgets and ModelPrices, serves the injection webhook',
    run: async (args) => (await import('./operator/main.js')).main(args),
  },
  report: {
    summary: 'the chargeback view of the ledger: spend by team, model and job',
    run: async (args) => (await import('./sidecar/report/main.js')).main(args),
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const lines = Object.entries(commands).map(([name, { summary }]) => `  ${name.padEnd(width)}  ${summary}`);
  return `usage: tollgate <command> [options]\n\ncommands:\n${lines.join('\n')}\n`;
}

const [name, ...args] = process.argv.slice(2);
const command = name === undefined ? undefined : commands[name];
if (!command) {
  process.stderr.write(usage());
  process.exit(name === undefined || name === '--help' || name === '-h' ? 0 : 2);
} else {
  await command.run(args);
}
