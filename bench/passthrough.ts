// Baseline 2: the least a proxy can do. Forwards /openai/... to the upstream with
// fastify + undici, streams the answer back, meters nothing. The sidecar's cost
// over this one is what metering, pricing and recording add.
// Usage: PORT=n UPSTREAM=http://127.0.0.1:m node --import tsx bench/passthrough.ts
import Fastify from 'fastify';
import { Pool } from 'undici';

const upstream = new Pool(process.env.UPSTREAM!, { connections: 256 });
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host']);
const forwardable = (headers: Record<string, string | string[] | undefined>) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));

const app = Fastify();
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

app.all('/openai/*', async (request, reply) => {
  const answer = await upstream.request({
    method: request.method,
    path: request.url.slice('/openai'.length),
    headers: forwardable(request.headers),
    body: request.body as Buffer | undefined,
  });
  void reply.status(answer.statusCode).headers(forwardable(answer.headers));
  return reply.send(answer.body);
});

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
