// The demo's story: three teams, their budgets and the shape of their traffic.
// Every team makes a fixed number of calls spread over the run, so the ending
// is the same whether the run lasts three minutes or forty seconds:
//   catalog  Hard $0.50/month, enriches product pages with gpt-4o: runs out and gets 429s.
//   search   a cheap steady reranker that bursts into long-context Claude calls: RunawaySpend.
//   support  steady chat on a Soft $1.00/month budget: crosses its 50% and 80% alerts, never refused.
import type { SimulatedUsage } from '../test/upstream/simulated-provider.js';
import { API_VERSION, type TeamBudget } from '../core/types.js';

export type Sdk = 'openai' | 'anthropic';

export interface CallShape {
  sdk: Sdk;
  model: string;
  stream: boolean;
  /** Characters of user content (documents, search results, chat history). */
  promptChars: number;
  /** Characters of a system prompt that repeats across calls (cached by Anthropic). */
  systemChars: number;
  maxTokens: number;
}

export interface TrafficBlock {
  /** When the block starts and ends, as fractions of the run. */
  from: number;
  to: number;
  calls: number;
  /** Calls in flight at once. */
  concurrency: number;
  /** Cycled through, call by call. */
  shapes: CallShape[];
}

export interface Team {
  name: string;
  /** The workload its calls come from (what the job breakdown names). */
  job: string;
  budget: TeamBudget['spec'];
  traffic: TrafficBlock[];
}

export const teams: Team[] = [
  {
    name: 'catalog',
    job: 'catalog-enricher',
    budget: { limit: '0.50', period: 'Monthly', enforcement: 'Hard', alertThresholds: [50, 80] },
    traffic: [
      {
        from: 0.02,
        to: 0.95,
        calls: 100,
        concurrency: 1,
        shapes: [
          {
            sdk: 'openai',
            model: 'gpt-4o',
            stream: false,
            promptChars: 8000,
            systemChars: 0,
            maxTokens: 600,
          },
          { sdk: 'openai', model: 'gpt-4o', stream: true, promptChars: 6000, systemChars: 0, maxTokens: 500 },
        ],
      },
    ],
  },
  {
    name: 'search',
    job: 'search-reranker',
    budget: { limit: '50', period: 'Monthly', enforcement: 'Soft', alertThresholds: [80] },
    traffic: [
      {
        from: 0,
        to: 0.95,
        calls: 60,
        concurrency: 1,
        shapes: [
          {
            sdk: 'openai',
            model: 'gpt-4o-mini',
            stream: false,
            promptChars: 3000,
            systemChars: 0,
            maxTokens: 200,
          },
        ],
      },
      // Someone ships a change that stuffs whole result pages into every prompt.
      {
        from: 0.35,
        to: 0.75,
        calls: 80,
        concurrency: 4,
        shapes: [
          {
            sdk: 'anthropic',
            model: 'claude-sonnet-4-20250514',
            stream: true,
            promptChars: 40_000,
            systemChars: 0,
            maxTokens: 1000,
          },
        ],
      },
    ],
  },
  {
    name: 'support',
    job: 'support-assistant',
    budget: { limit: '1.00', period: 'Monthly', enforcement: 'Soft', alertThresholds: [50, 80] },
    traffic: [
      {
        from: 0,
        to: 0.95,
        calls: 140,
        concurrency: 2,
        shapes: [
          {
            sdk: 'anthropic',
            model: 'claude-sonnet-4-20250514',
            stream: true,
            promptChars: 2000,
            systemChars: 4000,
            maxTokens: 750,
          },
          {
            sdk: 'anthropic',
            model: 'claude-3-5-haiku-20241022',
            stream: false,
            promptChars: 1500,
            systemChars: 4000,
            maxTokens: 300,
          },
          {
            sdk: 'anthropic',
            model: 'claude-sonnet-4-20250514',
            stream: false,
            promptChars: 2500,
            systemChars: 4000,
            maxTokens: 750,
          },
          {
            sdk: 'openai',
            model: 'gpt-4o-mini',
            stream: true,
            promptChars: 2500,
            systemChars: 0,
            maxTokens: 300,
          },
        ],
      },
    ],
  },
];

export function teamBudget(team: Team): TeamBudget {
  return { apiVersion: API_VERSION, kind: 'TeamBudget', metadata: { name: team.name }, spec: team.budget };
}

/** The models the traffic uses, so the demo can check each one has a price. */
export function modelsUsed(): { provider: Sdk; model: string }[] {
  const all = teams.flatMap((t) => t.traffic.flatMap((b) => b.shapes.map((s) => `${s.sdk}/${s.model}`)));
  return [...new Set(all)].map((key) => {
    const [provider, model] = key.split('/') as [Sdk, string];
    return { provider, model };
  });
}

const textOf = (value: unknown): number => (typeof value === 'string' ? value.length : 0);

/**
 * What the simulated provider reports: about four characters per token (the
 * usual rule of thumb, and never more tokens than the body has bytes, which is
 * the bound a hard budget reserves), an Anthropic system prompt read from the
 * prompt cache, and an answer of 60-100% of max_tokens.
 */
export function demoUsage(call: { provider: string; body: unknown }): SimulatedUsage {
  const body = (call.body ?? {}) as {
    system?: unknown;
    max_tokens?: unknown;
    max_completion_tokens?: unknown;
  };
  const size = JSON.stringify(body).length;
  const cached = call.provider === 'anthropic' ? Math.ceil(textOf(body.system) / 4) : 0;
  const input = Math.max(1, Math.ceil(size / 4) - cached);
  const cap = body.max_tokens ?? body.max_completion_tokens;
  const maxTokens = typeof cap === 'number' ? cap : 256;
  const output = Math.floor(maxTokens * (0.6 + 0.4 * ((size % 101) / 100)));
  return { input, cachedInput: cached, cacheWrite: 0, output, reasoning: 0 };
}
