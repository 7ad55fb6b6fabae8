// Runs a Lua script by its SHA (the script text crosses the wire once per
// Redis restart, not per call) and falls back to EVAL when Redis lost it.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { RedisClient } from '../../ledger/client.js';

export interface LuaScript {
  run(redis: RedisClient, keys: string[], args: (string | number)[]): Promise<unknown>;
  /** Sends the script ahead of the first call, so that call is one EVALSHA, not EVALSHA + EVAL. */
  preload(redis: RedisClient): Promise<void>;
}

/** `url` is next to the calling module: in the source tree under tsx, and in dist/ (`npm run build` copies *.lua). */
export function loadScript(url: URL): LuaScript {
  const source = readFileSync(url, 'utf8');
  const sha = createHash('sha1').update(source).digest('hex');
  return {
    async run(redis, keys, args) {
      try {
        return await redis.evalsha(sha, keys.length, ...keys, ...args);
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
        return redis.eval(source, keys.length, ...keys, ...args);
      }
    },
    async preload(redis) {
      await redis.script('LOAD', source);
    },
  };
}
