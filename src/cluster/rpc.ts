/**
 * Requests between nodes over NATS request/reply (docs/cluster.md, "Reads"): JSON in, `{ ok, result }`
 * or `{ ok: false, error }` out, so a replica's QuiverError reaches the router (and the user) intact.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { ERROR_CODES, QuiverError, isQuiverError } from '../index.js';
import { rpcSubject } from './names.js';

export type RpcRequest =
  | { op: 'query'; collectionId: string; shard: number; request: Record<string, unknown>; waitFor: number; timeoutMs: number }
  | { op: 'get'; collectionId: string; shard: number; keys: string[]; waitFor: number; timeoutMs: number }
  | { op: 'count'; collectionId: string; shard: number; filter?: unknown; waitFor: number; timeoutMs: number }
  | { op: 'stats'; collectionId: string; shard: number; waitFor: number; timeoutMs: number }
  | { op: 'result'; collectionId: string; shard: number; waitFor: number; timeoutMs: number };

type RpcReply = { ok: true; result: unknown } | { ok: false; error: { code: string; message: string; details: Record<string, unknown> } };

export function replyOf(result: unknown): RpcReply {
  return { ok: true, result };
}

export function errorReply(error: unknown): RpcReply {
  if (isQuiverError(error)) return { ok: false, error: { code: error.code, message: error.message, details: error.details } };
  return { ok: false, error: { code: 'UNAVAILABLE', message: `A replica failed: ${String((error as Error)?.message ?? error)}`, details: {} } };
}

export function unwrap<T>(reply: RpcReply): T {
  if (reply.ok) return reply.result as T;
  const known = (Object.keys(ERROR_CODES) as string[]).includes(reply.error.code);
  const code = (known ? reply.error.code : 'UNAVAILABLE') as ConstructorParameters<typeof QuiverError>[0];
  throw new QuiverError(code, reply.error.message, reply.error.details);
}

export async function requestNode(nc: NatsConnection, nodeId: string, request: RpcRequest, timeoutMs: number): Promise<unknown> {
  let message;
  try {
    message = await nc.request(rpcSubject(nodeId), JSON.stringify(request), { timeout: timeoutMs });
  } catch (error) {
    throw new QuiverError('UNAVAILABLE', `Node ${nodeId} did not answer (${(error as Error).message}).`, { node: nodeId }, { cause: error });
  }
  return unwrap(message.json<RpcReply>());
}

/** Errors that another replica would give too: no point failing over. */
export function isFinal(error: unknown): boolean {
  return isQuiverError(error) && (error.category === 'invalid_argument' || error.category === 'limit_exceeded' || error.category === 'not_found' || error.category === 'unsupported');
}

/**
 * Asks `targets` in order: the next one when the current one fails, or — hedging — when it has not
 * answered within `hedgeMs`. The first answer wins; a final error (the same on every replica) ends it.
 */
export function hedged<T>(targets: readonly string[], call: (target: string) => Promise<T>, hedgeMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let next = 0;
    let pending = 0;
    let done = false;
    let lastError: unknown = null;
    let timer: NodeJS.Timeout | null = null;
    const launch = (): void => {
      if (done || next >= targets.length) return;
      const target = targets[next++];
      pending++;
      if (timer) clearTimeout(timer);
      timer = next < targets.length ? setTimeout(launch, hedgeMs) : null;
      call(target).then(
        (value) => {
          pending--;
          if (done) return;
          done = true;
          if (timer) clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          pending--;
          if (done) return;
          lastError = error;
          if (isFinal(error) || (next >= targets.length && pending === 0)) {
            done = true;
            if (timer) clearTimeout(timer);
            reject(error);
          } else launch();
        },
      );
    };
    if (targets.length === 0) reject(new QuiverError('UNAVAILABLE', 'No replica to ask.', {}));
    else launch();
    void lastError;
  });
}
