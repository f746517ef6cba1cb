/**
 * API keys and roles. Each route declares the access it needs (config.access); without keys configured
 * every request is admitted. Keys are kept only as SHA-256 digests and looked up by digest, so a wrong
 * guess takes the same path whatever it shares with a real key; keys are never logged.
 */
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { QuiverError } from '../protocol/errors.js';
import type { Role } from './config.js';

/** What a route needs: nothing (health checks, console files), reading, writing, or administration. */
export type Access = 'public' | 'read' | 'write' | 'admin';

const ROLE_GRANTS: Record<Role, ReadonlySet<Access>> = {
  'read-only': new Set(['public', 'read']),
  'read-write': new Set(['public', 'read', 'write']),
  admin: new Set(['public', 'read', 'write', 'admin']),
};

const ACCESS_NEEDS: Record<Exclude<Access, 'public'>, string> = {
  read: 'a read-only, read-write or admin key',
  write: 'a read-write or admin key',
  admin: 'an admin key',
};

export interface Principal {
  role: Role;
  /** A short digest that names the key in logs and rate limits without revealing it. */
  id: string;
}

function digest(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export class KeyRing {
  private readonly byDigest = new Map<string, Principal>();

  constructor(keys: readonly { key: string; role: Role }[]) {
    for (const { key, role } of keys) {
      const hex = digest(key);
      this.byDigest.set(hex, { role, id: hex.slice(0, 12) });
    }
  }

  get enabled(): boolean {
    return this.byDigest.size > 0;
  }

  /**
   * The principal a request acts as, or a QuiverError: UNAUTHORIZED without a key or with an unknown one,
   * FORBIDDEN when the key's role does not grant `access`.
   */
  authorize(request: FastifyRequest, access: Access): Principal | null {
    if (access === 'public' || !this.enabled) return null;
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header) : null;
    if (!match) {
      throw new QuiverError('UNAUTHORIZED', `This server requires an API key: send "Authorization: Bearer <key>" with ${ACCESS_NEEDS[access]}.`, { scheme: 'Bearer' });
    }
    const principal = this.byDigest.get(digest(match[1]));
    if (principal === undefined) throw new QuiverError('UNAUTHORIZED', 'The API key is not one this server knows. Check the key, or ask its administrator for one.', { scheme: 'Bearer' });
    if (!ROLE_GRANTS[principal.role].has(access)) {
      throw new QuiverError('FORBIDDEN', `A ${principal.role} key cannot do this: it needs ${ACCESS_NEEDS[access]}.`, { role: principal.role, required: access });
    }
    return principal;
  }
}
