/**
 * Subscriber ids and the signed tokens of unsubscribe links. A subscriber's id is derived from their
 * normalised email (so a second subscription with the same address is the same record, atomically, with
 * no lookup), and an unsubscribe token is that id with an HMAC-SHA256 over it under the digest secret:
 * the link is its own credential, so it works without an API key, and nobody can unsubscribe an
 * address without a link the server signed for it. docs/papers.md, "Daily digest", says why the secret
 * is configuration and never stored.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { QuiverError } from '../core/errors.js';

/** The shortest digest secret accepted: 32 characters (e.g. `openssl rand -hex 32` gives 64). */
export const DIGEST_SECRET_MIN_LENGTH = 32;

/** Separates the purpose from the id in the MAC input, so a token signed for one use fits no other. */
const PURPOSE = 'quiver-papers-unsubscribe';
const ID = /^s[0-9a-f]{32}$/;

/** The subscriber id of a normalised email: 's' + 128 bits of its SHA-256 (stable across secrets). */
export function subscriberId(normalisedEmail: string): string {
  return `s${createHash('sha256').update(normalisedEmail, 'utf8').digest('hex').slice(0, 32)}`;
}

/** Checks the digest secret; UNSUPPORTED (the feature is off) when missing, INVALID_ARGUMENT when weak. */
export function checkDigestSecret(secret: string | undefined, purpose: string): string {
  if (secret === undefined || secret === '') {
    throw new QuiverError(
      'UNSUPPORTED',
      `${purpose} needs the digest secret, which signs unsubscribe links: set QUIVER_DIGEST_SECRET (or digest.secret in the configuration file) to a random string of at least ${DIGEST_SECRET_MIN_LENGTH} characters, e.g. the output of \`openssl rand -hex 32\`. Keep it: changing it invalidates the links in emails already sent.`,
      { field: 'digest.secret' },
    );
  }
  if (secret.length < DIGEST_SECRET_MIN_LENGTH) {
    throw new QuiverError('INVALID_ARGUMENT', `The digest secret (QUIVER_DIGEST_SECRET) has ${secret.length} characters; it needs at least ${DIGEST_SECRET_MIN_LENGTH} (e.g. \`openssl rand -hex 32\`).`, {
      field: 'digest.secret',
      minimum: DIGEST_SECRET_MIN_LENGTH,
    });
  }
  return secret;
}

function mac(secret: string, id: string): Buffer {
  return createHmac('sha256', secret).update(`${PURPOSE}\n${id}`, 'utf8').digest();
}

/** The token of a subscriber's unsubscribe link: `<id>.<base64url HMAC>`. */
export function signUnsubscribeToken(secret: string, id: string): string {
  return `${id}.${mac(secret, id).toString('base64url')}`;
}

/** The subscriber id a token was signed for; INVALID_TOKEN when it is malformed or its MAC is wrong. */
export function verifyUnsubscribeToken(secret: string, token: string): string {
  const dot = token.indexOf('.');
  const id = dot < 0 ? '' : token.slice(0, dot);
  const given = dot < 0 ? Buffer.alloc(0) : Buffer.from(token.slice(dot + 1), 'base64url');
  const expected = ID.test(id) ? mac(secret, id) : null;
  // compared in constant time, and only when the lengths match (timingSafeEqual's requirement)
  if (expected === null || given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new QuiverError(
      'INVALID_TOKEN',
      'This unsubscribe link is not valid: it was altered or cut short (or the server\'s digest secret changed since it was sent). Open the link from the email again, complete; or unsubscribe from a newer digest.',
      {},
    );
  }
  return id;
}
