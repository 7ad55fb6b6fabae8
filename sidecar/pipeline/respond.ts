// Answers the sidecar gives itself (bad input, refusals, upstream failures),
// always in the provider's own error shape so the SDK raises its usual error.
import type { ServerResponse } from 'node:http';
import type { ErrorKind, ProviderAdapter } from '../providers/provider.js';

export function sendError(
  res: ServerResponse,
  adapter: ProviderAdapter,
  status: number,
  kind: ErrorKind,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(adapter.errorBody(status, kind, message));
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}
