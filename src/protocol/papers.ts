/**
 * The wire of Quiver Papers' digest routes (src/server/routes/papers-digest.ts): subscriptions and
 * digest runs. The server validates with these schemas; the client uses the types only.
 */
import { type Static, Type } from '@sinclair/typebox';

const SendStateSchema = Type.Object({
  status: Type.Union([Type.Literal('sending'), Type.Literal('sent'), Type.Literal('failed'), Type.Literal('uncertain'), Type.Literal('given-up')], {
    description: 'sent: delivered to the SMTP server; failed: not delivered, tried again later; uncertain: the connection failed after the message was on its way, so it is not sent again; given-up: attempts exhausted; sending: in flight now.',
  }),
  windowStart: Type.Number(),
  windowEnd: Type.Number(),
  messageId: Type.String(),
  attempts: Type.Integer(),
  papers: Type.Array(Type.String()),
  updatedAt: Type.Number(),
  retryAt: Type.Optional(Type.Number()),
  error: Type.Optional(Type.String()),
});

export const SubscriptionSchema = Type.Object({
  id: Type.String({ description: 'Derived from the normalised email; stable.' }),
  email: Type.String(),
  interests: Type.String(),
  createdAt: Type.Number({ description: 'ms since the epoch' }),
  updatedAt: Type.Number(),
  lastDigestAt: Type.Number({ description: 'The next digest lists papers added after this.' }),
  checkedAt: Type.Optional(Type.Number({ description: 'When a digest run last looked at this subscriber.' })),
  send: Type.Optional(SendStateSchema),
});

export const SubscribeRequestSchema = Type.Object(
  {
    email: Type.String({ maxLength: 320, description: 'The address the digest goes to (normalised to lower case; one subscription per address).' }),
    interests: Type.String({ maxLength: 4000, description: 'Free text: what papers the digest should bring.' }),
  },
  { additionalProperties: false },
);

export const SubscribeResponseSchema = Type.Object({
  subscription: SubscriptionSchema,
  created: Type.Boolean({ description: 'false: the address was subscribed already and its interests were updated.' }),
});

export const SubscriptionListSchema = Type.Object({ subscriptions: Type.Array(SubscriptionSchema) });

export const SubscriptionParamsSchema = Type.Object({ email: Type.String({ maxLength: 320 }) });

export const UnsubscribeQuerySchema = Type.Object({ token: Type.String({ maxLength: 200, description: 'The signed token of the link in a digest email.' }) });

export const DigestSendRequestSchema = Type.Object(
  { dryRun: Type.Optional(Type.Boolean({ description: 'Compose the digests and say who would get which papers; send nothing, record nothing.' })) },
  { additionalProperties: false },
);

export const DigestReportSchema = Type.Object({
  startedAt: Type.Number(),
  cutoff: Type.Number({ description: 'Papers added up to this time were considered.' }),
  dryRun: Type.Boolean(),
  subscribers: Type.Integer(),
  notDue: Type.Integer(),
  results: Type.Array(
    Type.Object({
      id: Type.String(),
      email: Type.String(),
      status: Type.Union([Type.Literal('sent'), Type.Literal('would-send'), Type.Literal('nothing-new'), Type.Literal('failed'), Type.Literal('uncertain'), Type.Literal('given-up')]),
      papers: Type.Array(Type.Object({ id: Type.String(), title: Type.String() })),
      messageId: Type.Optional(Type.String()),
      attempts: Type.Optional(Type.Integer()),
      error: Type.Optional(Type.String()),
    }),
  ),
  aborted: Type.Optional(Type.String()),
});

export type SubscriptionBody = Static<typeof SubscriptionSchema>;
export type SubscribeRequestBody = Static<typeof SubscribeRequestSchema>;
export type SubscribeResponseBody = Static<typeof SubscribeResponseSchema>;
export type SubscriptionListBody = Static<typeof SubscriptionListSchema>;
export type DigestReportBody = Static<typeof DigestReportSchema>;
