// One JSON line per call. Bodies are never logged; headers neither, and the
// redaction below is the safety net should a header or URL ever reach a log.
import pino, { type DestinationStream, type Logger } from 'pino';

export const REDACTED_HEADERS = ['authorization', 'x-api-key', 'x-goog-api-key', 'api-key'];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: REDACTED_HEADERS.flatMap((h) => [`headers["${h}"]`, `req.headers["${h}"]`]),
        censor: '[redacted]',
      },
    },
    destination ?? pino.destination({ sync: false }),
  );
}

/** Masks API keys passed in the query string (Gemini's ?key=). */
export function redactUrl(pathAndQuery: string): string {
  return pathAndQuery.replace(/([?&](?:key|api-key|api_key)=)[^&#]*/gi, '$1[redacted]');
}
