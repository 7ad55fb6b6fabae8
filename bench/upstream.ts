// The simulated OpenAI upstream in a process of its own, so the load generator
// and the upstream never share an event loop. Usage: PORT=n node --import tsx bench/upstream.ts
import { startSimulatedProvider } from '../test/upstream/simulated-provider.js';

const port = Number(process.env.PORT);
const upstream = await startSimulatedProvider({ port });

// The provider keeps every call for tests to inspect; a benchmark sends
// hundreds of thousands, so forget them or the heap (and GC) would grow all run.
setInterval(() => upstream.calls.splice(0), 1_000).unref();

process.on('SIGTERM', () => void upstream.close().then(() => process.exit(0)));
