// The Helm chart against the real apiserver: it lints, renders into objects
// the apiserver accepts (server-side dry run), and installs. No kubelet runs
// here, so pods stay Pending; what is tested is that every object is valid.
import { execFileSync, type ExecFileSyncOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';

const root = join(import.meta.dirname, '..', '..');
const chart = join(root, 'charts', 'tollgate');
const id = randomBytes(3).toString('hex');
const namespace = `tollgate-chart-${id}`;
const release = `tg-${id}`;

function run(command: string, args: string[], input?: string): string {
  const options: ExecFileSyncOptions = {
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
    input,
    timeout: 60_000,
  };
  try {
    return execFileSync(command, args, options) as string;
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed:\n${failed.stderr ?? ''}${failed.stdout ?? ''}`);
  }
}

// Keep the release's webhook away from other tests' team namespaces on this shared apiserver.
const isolated = [
  '--set-json',
  `webhook.namespaceSelector={"matchLabels":{"test.tollgate.dev/chart":"${id}"}}`,
];

function render(extra: string[] = []): string {
  return run('helm', ['template', release, chart, '--namespace', namespace, ...isolated, ...extra]);
}

beforeAll(() => {
  if (!process.env.KUBECONFIG)
    throw new Error('KUBECONFIG is not set: the chart tests need the control plane');
  run('kubectl', ['apply', '--server-side', '--force-conflicts', '-f', join(chart, 'crds')]);
  run('kubectl', [
    'wait',
    '--for=condition=Established',
    '--timeout=30s',
    'crd/teambudgets.tollgate.dev',
    'crd/modelprices.tollgate.dev',
  ]);
  run('kubectl', ['create', 'namespace', namespace]);
});

afterAll(() => {
  try {
    run('helm', ['uninstall', release, '--namespace', namespace]);
  } catch {
    // Not installed (an earlier failure); nothing to undo.
  }
  run('kubectl', ['delete', 'namespace', namespace, '--wait=false', '--ignore-not-found']);
});

describe('charts/tollgate', () => {
  it('ships exactly the CRDs in crds/', () => {
    const source = readdirSync(join(root, 'crds'))
      .filter((f) => f.endsWith('.yaml'))
      .sort();
    const shipped = readdirSync(join(chart, 'crds')).sort();
    expect(shipped).toEqual(source);
    for (const file of source) {
      expect(
        readFileSync(join(chart, 'crds', file), 'utf8'),
        `${file}: run cp crds/*.yaml charts/tollgate/crds/`,
      ).toBe(readFileSync(join(root, 'crds', file), 'utf8'));
    }
  });

  it('lints clean in strict mode', () => {
    expect(run('helm', ['lint', '--strict', chart])).toContain('0 chart(s) failed');
  });

  it('refuses values its schema forbids', () => {
    expect(() => render(['--set', 'webhook.failurePolicy=Sometimes'])).toThrow(/failurePolicy/);
    expect(() => render(['--set', 'redis.mode=external'])).toThrow(/redis.external.url/);
  });

  it('renders every object with the app.kubernetes.io labels and a webhook config from values', () => {
    const objects = YAML.parseAllDocuments(render(['--set', 'webhook.failurePolicy=Fail']))
      .map(
        (d) =>
          d.toJS() as { kind: string; metadata: { labels?: Record<string, string> }; webhooks?: unknown[] },
      )
      .filter(Boolean);
    for (const object of objects) {
      expect(object.metadata.labels?.['app.kubernetes.io/instance'], object.kind).toBe(release);
      expect(object.metadata.labels?.['app.kubernetes.io/name'], object.kind).toBe('tollgate');
    }
    const config = objects.find((o) => o.kind === 'MutatingWebhookConfiguration');
    expect(config?.webhooks?.[0]).toMatchObject({
      failurePolicy: 'Fail',
      timeoutSeconds: 5,
      objectSelector: {
        matchExpressions: [{ key: 'tollgate.dev/inject', operator: 'NotIn', values: ['false'] }],
      },
    });
    const prices = objects.filter((o) => o.kind === 'ModelPrice');
    expect(prices.length).toBeGreaterThanOrEqual(12);
  });

  it.each([
    ['defaults', []],
    [
      'external Redis from a Secret, plain sidecars',
      [
        '--set',
        'redis.mode=external',
        '--set',
        'redis.external.existingSecret=my-redis',
        '--set',
        'sidecar.native=false',
      ],
    ],
  ])('renders into objects the apiserver accepts (%s)', (_name, extra) => {
    const output = run('kubectl', ['apply', '--dry-run=server', '-f', '-'], render(extra));
    expect(output).toMatch(
      /mutatingwebhookconfiguration\.admissionregistration\.k8s\.io\/\S+ created \(server dry run\)/,
    );
  });

  it('installs into the control plane', () => {
    // The catalog is left out here only because ModelPrices are cluster-wide and other tests share this apiserver.
    run('helm', [
      'install',
      release,
      chart,
      '--namespace',
      namespace,
      ...isolated,
      '--set',
      'priceCatalog.enabled=false',
    ]);
    const status = JSON.parse(run('helm', ['status', release, '--namespace', namespace, '-o', 'json'])) as {
      info: { status: string };
    };
    expect(status.info.status).toBe('deployed');
    const deployment = JSON.parse(
      run('kubectl', ['get', 'deployment', `${release}-tollgate-operator`, '-n', namespace, '-o', 'json']),
    ) as { spec: { replicas: number } };
    expect(deployment.spec.replicas).toBe(2);
    run('kubectl', ['get', 'mutatingwebhookconfiguration', `${release}-tollgate-injection`]);
    run('kubectl', ['get', 'statefulset', `${release}-tollgate-redis`, '-n', namespace]);
  });
});
