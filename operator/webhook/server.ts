// The webhook's HTTPS endpoint: POST /mutate takes and returns an
// admission.k8s.io/v1 AdmissionReview. The TLS context can be swapped while
// serving (setSecureContext): new connections get the new certificate,
// connections already open finish with the old one, so nothing is dropped.
import Fastify from 'fastify';
import type { AddressInfo } from 'node:net';
import type { AdmissionRequest, AdmissionResponse, AdmissionReview } from './admission.js';

export interface ServingTls {
  certPem: string;
  keyPem: string;
}

export interface WebhookServerOptions {
  host: string;
  port: number;
  tls: ServingTls;
  review: (request: AdmissionRequest) => Promise<AdmissionResponse>;
  /** Never given request bodies: pod specs carry env values, which may be secrets. */
  onError?: (error: unknown, uid: string) => void;
}

export interface WebhookServer {
  port: number;
  reloadTls(tls: ServingTls): void;
  close(): Promise<void>;
}

function isReview(body: unknown): body is AdmissionReview & { request: AdmissionRequest } {
  const review = body as Partial<AdmissionReview> | undefined;
  return (
    review?.apiVersion === 'admission.k8s.io/v1' &&
    review.kind === 'AdmissionReview' &&
    typeof review.request?.uid === 'string'
  );
}

export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const app = Fastify({
    https: { cert: options.tls.certPem, key: options.tls.keyPem },
    // A pod spec can approach etcd's 1.5 MiB object limit.
    bodyLimit: 4 * 1024 * 1024,
    logger: false,
  });
  app.get('/healthz', () => ({ ok: true }));
  app.post('/mutate', async (request, reply) => {
    if (!isReview(request.body)) {
      return reply
        .code(400)
        .send({ error: 'expected an admission.k8s.io/v1 AdmissionReview with a request' });
    }
    const { uid } = request.body.request;
    try {
      const response = await options.review(request.body.request);
      const review: AdmissionReview = {
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        response,
      };
      return review;
    } catch (error) {
      options.onError?.(error, uid);
      // A 500 lets the apiserver apply the configured failurePolicy.
      return reply.code(500).send({ error: 'injection failed; see the operator log' });
    }
  });
  await app.listen({ host: options.host, port: options.port });
  const server = app.server;
  return {
    port: (server.address() as AddressInfo).port,
    reloadTls: (tls) => server.setSecureContext({ cert: tls.certPem, key: tls.keyPem }),
    close: () => app.close(),
  };
}
