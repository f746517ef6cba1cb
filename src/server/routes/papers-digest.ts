/**
 * Quiver Papers' digest: subscribing (read-write keys), listing and removing subscriptions and running
 * the digest now (admin keys), and the unsubscribe link of every digest email, which is public: it is
 * opened from a mailbox, where there is no API key, so its signed token is the credential (ADR 0008).
 * GET shows a confirmation page with a button; POST unsubscribes (the button, and RFC 8058 one-click
 * from mail clients). GET never unsubscribes, because mail scanners fetch links in emails.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { QuiverError } from '../../protocol/errors.js';
import {
  DigestReportSchema,
  DigestSendRequestSchema,
  SubscribeRequestSchema,
  SubscribeResponseSchema,
  SubscriptionListSchema,
  SubscriptionParamsSchema,
  UnsubscribeQuerySchema,
} from '../../protocol/papers.js';
import { ErrorBodySchema, ref } from '../../protocol/schemas.js';
import { escapeHtml } from '../../papers/digest.js';
import { normaliseEmail } from '../../papers/subscriptions.js';
import { subscriberId } from '../../papers/tokens.js';
import type { App, ServerContext } from '../context.js';
import { toErrorResponse } from '../errors.js';

const errors = { default: ref(ErrorBodySchema) };
const tags = ['papers'];

export async function papersDigestRoutes(app: App, ctx: ServerContext): Promise<void> {
  const { digest } = ctx;

  app.post('/v1/papers/subscriptions', {
    config: { access: 'write' },
    schema: {
      tags,
      operationId: 'subscribeToDigest',
      summary: "Subscribe an address to Quiver Papers' daily digest, or update its interests",
      description: 'One subscription per address (normalised to lower case): subscribing again replaces the interests and keeps the digest position. 201 when new, 200 when updated.',
      body: SubscribeRequestSchema,
      response: { 200: SubscribeResponseSchema, 201: SubscribeResponseSchema, ...errors },
    },
    handler: async (request, reply) => {
      const result = await (await digest.subscriptions()).subscribe(request.body, Date.now());
      return reply.code(result.created ? 201 : 200).send(result);
    },
  });

  app.get('/v1/papers/subscriptions', {
    config: { access: 'admin' },
    schema: { tags, operationId: 'listDigestSubscriptions', summary: 'Every digest subscription with its send state (admin)', response: { 200: SubscriptionListSchema, ...errors } },
    handler: async () => {
      if (!(await digest.hasSubscriptions())) return { subscriptions: [] };
      return { subscriptions: await (await digest.subscriptions()).list() };
    },
  });

  app.delete('/v1/papers/subscriptions/:email', {
    config: { access: 'admin' },
    schema: {
      tags,
      operationId: 'deleteDigestSubscription',
      summary: 'Remove the subscription of an address (admin)',
      params: SubscriptionParamsSchema,
      response: { 200: { type: 'object', properties: { removed: { type: 'boolean' } }, required: ['removed'] }, ...errors },
    },
    handler: async (request) => {
      const id = subscriberId(normaliseEmail(request.params.email));
      if (!(await digest.hasSubscriptions())) return { removed: false };
      return { removed: await (await digest.subscriptions()).unsubscribe(id) };
    },
  });

  app.post('/v1/papers/digest/send', {
    config: { access: 'admin', optionalBody: true },
    schema: {
      tags,
      operationId: 'sendDigest',
      summary: 'Run the daily digest now, for every subscriber with new papers (admin)',
      description: 'What `quiver digest --send` does through a server. Sends over the configured SMTP server and returns who got which papers; a failed send is tried again by later runs, never twice once delivered (docs/papers.md). dryRun: compose only.',
      body: DigestSendRequestSchema,
      response: { 200: DigestReportSchema, ...errors },
    },
    handler: async (request) => digest.run({ dryRun: request.body.dryRun === true }),
  });

  // The unsubscribe page: HTML for people, with its own form-encoded POST (the button, RFC 8058 one-click).
  await app.register(async (plugin) => {
    const scope = plugin.withTypeProvider<TypeBoxTypeProvider>();
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    const publicRoute = { access: 'public' as const };
    const schema = (method: string) => ({
      tags,
      operationId: method === 'GET' ? 'unsubscribePage' : 'unsubscribe',
      summary: method === 'GET' ? 'The confirmation page of an unsubscribe link (public: the signed token is the credential)' : 'Unsubscribe (the confirmation button; RFC 8058 one-click); public: the signed token is the credential',
      security: [],
      querystring: UnsubscribeQuerySchema,
      produces: ['text/html'],
    });

    scope.get('/v1/papers/unsubscribe', {
      config: publicRoute,
      schema: schema('GET'),
      handler: async (request, reply) =>
        htmlOrError(request, reply, async () => {
          const id = digest.verifyToken(request.query.token);
          const subscription = (await digest.hasSubscriptions()) ? await (await digest.subscriptions()).get(id) : null;
          if (subscription === null) return page('Not subscribed', '<p>This address is not subscribed to the Quiver Papers digest (any more). Nothing to do.</p>');
          const action = `?token=${encodeURIComponent(request.query.token)}`;
          return page(
            'Unsubscribe',
            `<p>Stop sending the Quiver Papers daily digest to <strong>${escapeHtml(subscription.email)}</strong>?</p>
<form method="post" action="${escapeHtml(action)}"><button type="submit">Unsubscribe</button></form>`,
          );
        }),
    });

    scope.post('/v1/papers/unsubscribe', {
      config: { ...publicRoute, optionalBody: true },
      schema: schema('POST'),
      handler: async (request, reply) =>
        htmlOrError(request, reply, async () => {
          const id = digest.verifyToken(request.query.token);
          const subscriptions = (await digest.hasSubscriptions()) ? await digest.subscriptions() : null;
          const subscription = subscriptions === null ? null : await subscriptions.get(id);
          if (subscriptions === null || subscription === null) return page('Not subscribed', '<p>This address is not subscribed to the Quiver Papers digest (any more). Nothing to do.</p>');
          await subscriptions.unsubscribe(id);
          request.log.info({ subscriber: id }, 'unsubscribed from the papers digest');
          return page('Unsubscribed', `<p><strong>${escapeHtml(subscription.email)}</strong> will get no more Quiver Papers digests.</p><p>Changed your mind? Subscribe again from the console.</p>`);
        }),
    });
  });
}

/** The page, or the error as a page (status and code kept) for browsers, as JSON for programs. */
async function htmlOrError(request: FastifyRequest, reply: FastifyReply, render: () => Promise<string>): Promise<FastifyReply> {
  try {
    return reply.type('text/html; charset=utf-8').send(await render());
  } catch (error) {
    if (!(error instanceof QuiverError) || wantsJson(request)) throw error;
    const { status, body } = toErrorResponse(error, request, 0);
    return reply
      .code(status)
      .type('text/html; charset=utf-8')
      .send(page(status === 403 ? 'Invalid link' : 'Cannot unsubscribe', `<p>${escapeHtml(body.error.message)}</p><p><small>${escapeHtml(body.error.code)}</small></p>`));
  }
}

function wantsJson(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex">
<title>${escapeHtml(title)} · Quiver Papers</title>
<style>body{font-family:system-ui,sans-serif;max-width:560px;margin:48px auto;padding:0 16px;color:#111827}button{font:inherit;padding:8px 16px;border-radius:6px;border:1px solid #1d4ed8;background:#1d4ed8;color:#fff;cursor:pointer}</style>
</head><body><h1>${escapeHtml(title)}</h1>
${body}
</body></html>
`;
}
