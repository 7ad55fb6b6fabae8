// The user story, end to end, against the real apiserver and controller-manager:
// apply the CRDs, ModelPrices and a Hard TeamBudget; label a namespace for the
// team; run the operator with its injection webhook; deploy as usual. The
// controller-manager makes the ReplicaSet and the Pod, the apiserver calls the
// webhook, and the STORED pod carries the sidecar. There is no kubelet, so the
// test runs that stored container's command with that stored environment as a
// local process; the official OpenAI and Anthropic SDKs call through it with
// the base URLs the webhook gave the app container; `kubectl get teambudgets`
// then shows the spend to the pico-dollar within one sync interval, and the
// spent hard budget refuses the next call before it reaches the provider.
//
// Certificate rotation while pods are admitted is test/webhook/rotation-live.test.ts.
import { randomBytes } from 'node:crypto';
import Anthropic from '@anthropic-ai/sdk';
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type V1Container,
  type V1Pod,
} from '@kubernetes/client-node';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerKeys, PRICES_KEY } from '../../core/ledger-keys.js';
import { costOf, parsePricePerMillion, parseUsd, type PicoUsd } from '../../core/money.js';
import { periodWindow } from '../../core/period.js';
import { API_VERSION, type ModelPriceSpec, type TeamBudget } from '../../core/types.js';
import { ledgerFields } from '../../core/usage.js';
import { modelPrices, teamBudgets } from '../../operator/kube.js';
import { defaultInjectionConfig } from '../../operator/webhook/config.js';
import { SIDECAR_NAME } from '../../operator/webhook/sidecar-container.js';
import { installCrds } from '../crds/crd-files.js';
import { kubeConfig, kubectl } from '../support/kube.js';
import { waitFor } from '../support/wait.js';
import { startSimulatedProvider, type SimulatedProvider } from '../upstream/simulated-provider.js';
import { tableRow } from './kubectl-table.js';
import {
  containerEnv,
  onPodAddress,
  podLoopback,
  runContainer,
  waitUntilReady,
  type LocalContainer,
} from './local-pod.js';
import { runLabels, startOperatorWithWebhook, type OperatorWithWebhook } from './operator-with-webhook.js';

const id = randomBytes(3).toString('hex');
const team = `story-${id}`;
const namespace = `story-${id}`;
const deployment = 'recommender';
const SYNC_INTERVAL_MS = 2_000;
/** A status write and a kubectl read on a busy machine. */
const STATUS_SLACK_MS = 5_000;
/** This file's own database on the run's Redis: the published price table is one key per database. */
const redisUrl = () => `${process.env.TOLLGATE_REDIS_URL}/12`;

// List prices, USD per 1M tokens: OpenAI fine-tuned GPT-4.1 inference and
// Anthropic Claude Sonnet 4.5 (cache write is the 5-minute rate). The fine-tune
// name is unique to this run, so no other file's ModelPrice can shadow it.
const OPENAI_MODEL = `ft:gpt-4.1-2025-04-14:tollgate-e2e::${id}`;
const ANTHROPIC_MODEL = 'claude-sonnet-4-5-20250929';
const PRICES: Record<'openai' | 'anthropic', ModelPriceSpec> = {
  openai: {
    provider: 'openai',
    model: OPENAI_MODEL,
    currency: 'USD',
    prices: { input: '3.00', cachedInput: '0.75', output: '12.00' },
  },
  anthropic: {
    provider: 'anthropic',
    model: ANTHROPIC_MODEL,
    currency: 'USD',
    prices: { input: '3', cachedInput: '0.30', cacheWrite: '3.75', output: '15' },
  },
};

// Each call's usage, odd counts so the exact sum has digits below the cent.
// Input tokens stay below the prompt's bytes, as a real tokenizer's would, so
// the sidecar's worst-case reservation really bounds each call.
const USAGE = {
  openai: { input: 24_001, cachedInput: 8_003, cacheWrite: 0, output: 901, reasoning: 0 },
  anthropic: { input: 20_001, cachedInput: 9_007, cacheWrite: 4_003, output: 703, reasoning: 0 },
};
const PROMPT = Array.from(
  { length: 700 },
  (_, i) => `item ${String(i).padStart(4, '0')}: a product the customer viewed last week.`,
).join('\n');
const MAX_TOKENS = 1_000;
const LIMIT = '0.45';
/** More than any of the story's request bodies: the prompt JSON-escaped plus the SDKs' other fields. */
const BODY_BYTES_BOUND = Buffer.byteLength(JSON.stringify(PROMPT)) + 1_024;

type Provider = keyof typeof PRICES;
const price = (text: string | undefined, fallback: string) => parsePricePerMillion(text ?? fallback);

/** One call's exact cost, from usage x ModelPrice with core/money.ts integer math. */
function costOfCall(provider: Provider): PicoUsd {
  const usage = USAGE[provider];
  const p = PRICES[provider].prices;
  return (
    costOf(usage.input, price(p.input, p.input)) +
    costOf(usage.cachedInput, price(p.cachedInput, p.input)) +
    costOf(usage.cacheWrite, price(p.cacheWrite, p.input)) +
    costOf(usage.output, price(p.output, p.output))
  );
}

/** The hard budget's reservation for one call: every body byte at the dearest input rate, plus max_tokens of output. */
function worstCase(provider: Provider, bodyBytes: number): PicoUsd {
  const p = PRICES[provider].prices;
  const rates = [p.input, p.cachedInput, p.cacheWrite].map((r) => price(r, p.input));
  const dearest = rates.reduce((a, b) => (b > a ? b : a));
  return costOf(bodyBytes, dearest) + costOf(MAX_TOKENS, price(p.output, p.output));
}

/** The four calls the story makes, in order. */
const CALLS: Provider[] = ['openai', 'anthropic', 'openai', 'anthropic'];
const EXPECTED_SPEND = CALLS.map(costOfCall).reduce((a, b) => a + b, 0n);

let kube: ReturnType<typeof kubeConfig>;
let core: CoreV1Api;
let custom: CustomObjectsApi;
let redis: Redis;
let upstream: SimulatedProvider;
let running: OperatorWithWebhook | undefined;
let pod: V1Pod;
let sidecar: LocalContainer | undefined;
const podIp = podLoopback();

const ledgerKey = () => ledgerKeys.period(team, periodWindow('Monthly', new Date()).id);
const byName = (pod: V1Pod, name: string): V1Container | undefined =>
  [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find((c) => c.name === name);
const literalEnv = (container: V1Container | undefined) =>
  Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value]));

beforeAll(async () => {
  kube = kubeConfig();
  core = kube.makeApiClient(CoreV1Api);
  custom = kube.makeApiClient(CustomObjectsApi);
  redis = new Redis(redisUrl());
  upstream = await startSimulatedProvider({
    usage: ({ provider }) => USAGE[provider === 'anthropic' ? 'anthropic' : 'openai'],
  });

  await installCrds();
  for (const [provider, spec] of Object.entries(PRICES)) {
    await custom.createClusterCustomObject({
      ...modelPrices,
      body: { apiVersion: API_VERSION, kind: 'ModelPrice', metadata: { name: `${team}-${provider}` }, spec },
    });
  }
  await custom.createClusterCustomObject({
    ...teamBudgets,
    body: {
      apiVersion: API_VERSION,
      kind: 'TeamBudget',
      // This run's operator syncs only TeamBudgets with its label.
      metadata: { name: team, labels: runLabels(id) },
      spec: { limit: LIMIT, period: 'Monthly', enforcement: 'Hard' },
    },
  });

  running = await startOperatorWithWebhook({
    kubeConfig: kube,
    id,
    redisUrl: redisUrl(),
    syncIntervalMs: SYNC_INTERVAL_MS,
    // As the chart configures an external Redis: sidecars record to this run's server.
    injection: { ...defaultInjectionConfig, redis: { url: redisUrl() } },
  });
  await kubectl(['create', 'namespace', namespace]);
  await kubectl([
    'label',
    'namespace',
    namespace,
    `tollgate.dev/team=${team}`,
    ...Object.entries(running.selector).map(([key, value]) => `${key}=${value}`),
  ]);
  await waitFor(`the default ServiceAccount in ${namespace}`, () =>
    core.readNamespacedServiceAccount({ name: 'default', namespace }).then(() => true),
  );
}, 120_000);

afterAll(async () => {
  await sidecar?.stop(1_000);
  await running?.stop();
  await core?.deleteNamespace({ name: namespace }).catch(() => undefined);
  await custom?.deleteClusterCustomObject({ ...teamBudgets, name: team }).catch(() => undefined);
  for (const provider of Object.keys(PRICES)) {
    await custom
      ?.deleteClusterCustomObject({ ...modelPrices, name: `${team}-${provider}` })
      .catch(() => undefined);
  }
  await upstream?.close();
  if (redis) {
    await redis.flushdb();
    redis.disconnect();
  }
}, 60_000);

describe('the Tollgate story on a real apiserver', () => {
  it('stores a Deployment pod with the sidecar injected by the operator webhook', async () => {
    await kube.makeApiClient(AppsV1Api).createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: deployment },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: deployment } },
          template: {
            metadata: { labels: { app: deployment } },
            spec: { containers: [{ name: 'app', image: 'registry.example/recommender:1.4.2' }] },
          },
        },
      },
    });
    pod = await waitFor(`the ${deployment} pod, made by the controller-manager`, async () => {
      const pods = await core.listNamespacedPod({ namespace, labelSelector: `app=${deployment}` });
      return pods.items[0];
    });

    expect(pod.metadata?.ownerReferences?.[0]?.kind).toBe('ReplicaSet');
    const injected = byName(pod, SIDECAR_NAME);
    expect(pod.spec?.initContainers?.[0]).toBe(injected);
    expect(injected?.restartPolicy).toBe('Always');
    expect(literalEnv(injected)).toMatchObject({
      TOLLGATE_TEAM: team,
      TOLLGATE_NAMESPACE: namespace,
      TOLLGATE_JOB: deployment,
    });
    // No upstream set: the sidecar would forward to the providers' public APIs.
    expect(Object.keys(literalEnv(injected)).filter((name) => name.startsWith('TOLLGATE_UPSTREAM'))).toEqual(
      [],
    );
    const app = literalEnv(byName(pod, 'app'));
    expect(app.OPENAI_BASE_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/openai\/v1$/);
    expect(app.ANTHROPIC_BASE_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/anthropic$/);
    expect(running?.errors).toEqual([]);
  });

  it(
    'meters the official SDKs through the stored sidecar; kubectl shows the exact spend within one sync',
    { timeout: 90_000 },
    async () => {
      const container = byName(pod, SIDECAR_NAME)!;
      const env = await containerEnv(core, pod, container);
      expect(env.TOLLGATE_POD).toBe(pod.metadata?.name);
      // The operator has published this team's policy and both prices before the sidecar starts.
      await waitFor('the operator to publish the policy and prices to Redis', async () => {
        const [policy, prices] = await Promise.all([
          redis.get(ledgerKeys.policy(team)),
          redis.get(PRICES_KEY),
        ]);
        return Boolean(
          policy?.includes(`"limit":"${LIMIT}"`) &&
          prices?.includes(OPENAI_MODEL) &&
          prices.includes(ANTHROPIC_MODEL),
        );
      });
      // Only what must differ off-cluster; the rest (identity, Redis URL) is the stored spec verbatim:
      //  - the listen addresses: the pod's loopback becomes a loopback address of its own, same ports;
      //  - the upstreams: the public APIs the spec implies become the simulated provider.
      sidecar = runContainer(container, {
        ...env,
        TOLLGATE_LISTEN: onPodAddress(podIp, env.TOLLGATE_LISTEN!),
        TOLLGATE_ADMIN_LISTEN: onPodAddress(podIp, env.TOLLGATE_ADMIN_LISTEN!),
        TOLLGATE_UPSTREAM_OPENAI: upstream.url,
        TOLLGATE_UPSTREAM_ANTHROPIC: upstream.url,
      });
      await waitUntilReady(container, podIp, sidecar, (body) => {
        return (body as { pricesLoaded?: boolean }).pricesLoaded === true;
      });

      const app = literalEnv(byName(pod, 'app'));
      const openai = new OpenAI({
        apiKey: 'sk-e2e-placeholder',
        baseURL: onPodAddress(podIp, app.OPENAI_BASE_URL!),
        maxRetries: 0,
      });
      const anthropic = new Anthropic({
        apiKey: 'sk-ant-e2e-placeholder',
        baseURL: onPodAddress(podIp, app.ANTHROPIC_BASE_URL!),
        maxRetries: 0,
      });
      const messages = [{ role: 'user' as const, content: PROMPT }];
      // The premise, from the prices: each call's reservation fits what the earlier ones left.
      let spentBefore = 0n;
      for (const provider of CALLS) {
        expect(spentBefore + worstCase(provider, BODY_BYTES_BOUND)).toBeLessThanOrEqual(parseUsd(LIMIT));
        spentBefore += costOfCall(provider);
      }
      const requests = async () => Number((await redis.hget(ledgerKey(), ledgerFields.requests)) ?? '0');
      // Each call is recorded (its reservation settled) before the next, so admission is deterministic.
      const recorded = (n: number) => waitFor(`call ${n} recorded`, async () => (await requests()) === n);

      const chat = await openai.chat.completions.create({
        model: OPENAI_MODEL,
        max_tokens: MAX_TOKENS,
        messages,
      });
      expect(chat.usage?.completion_tokens).toBe(USAGE.openai.output);
      await recorded(1);
      const message = await anthropic.messages.create({
        model: ANTHROPIC_MODEL,
        max_tokens: MAX_TOKENS,
        messages,
      });
      expect(message.usage.cache_creation_input_tokens).toBe(USAGE.anthropic.cacheWrite);
      await recorded(2);
      let streamedText = '';
      const chatStream = await openai.chat.completions.create({
        model: OPENAI_MODEL,
        max_tokens: MAX_TOKENS,
        messages,
        stream: true,
      });
      for await (const chunk of chatStream) streamedText += chunk.choices[0]?.delta.content ?? '';
      await recorded(3);
      const messageStream = await anthropic.messages.create({
        model: ANTHROPIC_MODEL,
        max_tokens: MAX_TOKENS,
        messages,
        stream: true,
      });
      for await (const event of messageStream) {
        if (event.type === 'content_block_delta' && event.delta.type === 'text_delta')
          streamedText += event.delta.text;
      }
      await recorded(4);
      expect(streamedText).not.toBe('');
      expect(upstream.calls.map((call) => call.provider)).toEqual(CALLS);

      let lastRow: Record<string, string> | undefined;
      const spent = await waitFor(
        '`kubectl get teambudgets` to show the exact spend',
        async () => {
          lastRow = tableRow(await kubectl(['get', 'teambudgets']), team);
          return lastRow?.SPENT && parseUsd(lastRow.SPENT) === EXPECTED_SPEND ? lastRow : undefined;
        },
        SYNC_INTERVAL_MS + STATUS_SLACK_MS,
      ).catch((error: Error) => {
        throw new Error(
          `${error.message}; expected ${EXPECTED_SPEND} pico-USD, last row ${JSON.stringify(lastRow)}`,
        );
      });
      expect(spent).toMatchObject({ LIMIT, PERIOD: 'Monthly' });

      const budget = JSON.parse(await kubectl(['get', 'teambudget', team, '-o', 'json'])) as TeamBudget;
      const job = budget.status?.byJob?.find((entry) => entry.name === deployment);
      expect(job?.requests).toBe(4);
      expect(parseUsd(job?.spent ?? '0')).toBe(EXPECTED_SPEND);
      expect(budget.status?.requests).toBe(4);
    },
  );

  it('refuses the next call once the hard budget is spent, before it reaches the provider', async () => {
    const app = literalEnv(byName(pod, 'app'));
    const messages = [{ role: 'user' as const, content: PROMPT }];
    // The premise, from the prices: each next call's smallest possible reservation no longer fits.
    const limit = parseUsd(LIMIT);
    expect(EXPECTED_SPEND + worstCase('openai', PROMPT.length)).toBeGreaterThan(limit);
    expect(EXPECTED_SPEND + worstCase('anthropic', PROMPT.length)).toBeGreaterThan(limit);
    const upstreamCalls = upstream.calls.length;

    const openai = new OpenAI({
      apiKey: 'sk-e2e-placeholder',
      baseURL: onPodAddress(podIp, app.OPENAI_BASE_URL!),
      maxRetries: 0,
    });
    const openaiError: unknown = await openai.chat.completions
      .create({ model: OPENAI_MODEL, max_tokens: MAX_TOKENS, messages })
      .catch((error: unknown) => error);
    expect(openaiError).toBeInstanceOf(OpenAI.RateLimitError);
    expect((openaiError as InstanceType<typeof OpenAI.RateLimitError>).status).toBe(429);
    // A budget refusal, not a rate limit: the message names the team's spend.
    expect((openaiError as Error).message).toContain(`team ${team} has spent`);

    const anthropic = new Anthropic({
      apiKey: 'sk-ant-e2e-placeholder',
      baseURL: onPodAddress(podIp, app.ANTHROPIC_BASE_URL!),
      maxRetries: 0,
    });
    const anthropicError: unknown = await anthropic.messages
      .create({ model: ANTHROPIC_MODEL, max_tokens: MAX_TOKENS, messages })
      .catch((error: unknown) => error);
    expect(anthropicError).toBeInstanceOf(Anthropic.RateLimitError);
    expect((anthropicError as Error).message).toContain(`team ${team} has spent`);

    expect(upstream.calls.length).toBe(upstreamCalls);
    expect(await redis.hget(ledgerKey(), ledgerFields.cost)).toBe(EXPECTED_SPEND.toString());
  });

  it("stops the sidecar on SIGTERM within the pod's termination grace period", async () => {
    const graceSeconds = pod.spec?.terminationGracePeriodSeconds ?? 30;
    expect(await sidecar!.stop(graceSeconds * 1_000)).toBe(0);
  });
});
