/** Health, readiness, metrics, the OpenAPI document and backups. */
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { QuiverError } from '../../protocol/errors.js';
import { BackupRequestSchema, BackupResponseSchema, ErrorBodySchema, HealthSchema, ref } from '../../protocol/schemas.js';
import type { App, ServerContext } from '../context.js';

const errors = { default: ref(ErrorBodySchema) };
const BACKUP_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function systemRoutes(app: App, ctx: ServerContext): void {
  app.get('/healthz', {
    config: { access: 'public' },
    schema: { tags: ['system'], operationId: 'health', summary: 'The process is up', security: [], response: { 200: HealthSchema } },
    handler: async () => ({ status: 'ok' }),
  });

  app.get('/readyz', {
    config: { access: 'public' },
    schema: { tags: ['system'], operationId: 'ready', summary: 'The database is open and the server is not shutting down', security: [], response: { 200: HealthSchema, ...errors } },
    handler: async () => {
      if (ctx.closing || !ctx.db.isOpen) throw new QuiverError('UNAVAILABLE', 'The server is shutting down.', {});
      return { status: 'ready' };
    },
  });

  app.get('/metrics', {
    config: { access: 'read' },
    schema: { tags: ['system'], operationId: 'metrics', summary: 'Prometheus metrics (text exposition format)', produces: ['text/plain'] },
    handler: async (_request, reply) => {
      const text = await ctx.metrics.render(ctx.db, ctx.cursors.size);
      return reply.type(ctx.metrics.contentType).send(text);
    },
  });

  app.get('/openapi.json', {
    config: { access: 'read' },
    schema: { tags: ['system'], operationId: 'openapi', summary: 'This document (OpenAPI 3.1), generated from the route schemas' },
    handler: async () => app.swagger(),
  });

  app.post('/v1/backup', {
    config: { access: 'admin' },
    schema: {
      tags: ['system'],
      operationId: 'backup',
      summary: 'A consistent copy of the database while writes continue (db.backup); admin keys only',
      description: "Written to <backupDir>/<name> on the server (backupDir comes from the server's configuration, never from the request).",
      body: BackupRequestSchema,
      response: { 200: BackupResponseSchema, ...errors },
    },
    handler: async (request) => {
      const { name } = request.body;
      if (!BACKUP_NAME.test(name)) {
        throw new QuiverError('INVALID_ARGUMENT', `A backup name is 1-128 characters of letters, digits, '_', '.' and '-', starting with a letter or digit (a name, not a path); got ${JSON.stringify(name.slice(0, 140))}.`, { field: 'name' });
      }
      await mkdir(ctx.config.backupDir, { recursive: true });
      const target = join(ctx.config.backupDir, name);
      if (await stat(target).then(() => true, () => false)) {
        throw new QuiverError('BACKUP_EXISTS', `A backup named "${name}" exists already; pick another name.`, { name });
      }
      await ctx.db.backup(target);
      return { name };
    },
  });
}
