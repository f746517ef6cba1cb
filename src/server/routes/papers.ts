/**
 * The Quiver Papers app's routes (docs/papers.md), registered when `papers.enabled`: adding papers with
 * the app's record shape and clock (addedAt = now), which the digest reads. Searching, related papers and
 * the topic map use the ordinary collection routes on `papers`.
 */
import { addPapers, PAPERS_COLLECTION } from '../../papers/collection.js';
import { checkPaper } from '../../papers/corpus.js';
import { LIMITS } from '../../index.js';
import { QuiverError } from '../../protocol/errors.js';
import { AddPapersRequestSchema, AddPapersResponseSchema, ErrorBodySchema, PapersInfoSchema, ref } from '../../protocol/schemas.js';
import type { App, ServerContext } from '../context.js';

const errors = { default: ref(ErrorBodySchema) };

export function papersRoutes(app: App, ctx: ServerContext): void {
  app.get('/v1/papers', {
    config: { access: 'read' },
    schema: {
      tags: ['papers'],
      operationId: 'papersInfo',
      summary: 'Whether this server runs Quiver Papers, its collection and how many papers it holds',
      response: { 200: ref(PapersInfoSchema), ...errors },
    },
    handler: async () => ({ collection: PAPERS_COLLECTION, count: await ctx.db.collection(PAPERS_COLLECTION).count() }),
  });

  app.post('/v1/papers', {
    config: { access: 'write' },
    schema: {
      tags: ['papers'],
      operationId: 'addPapers',
      summary: 'Add papers to Quiver Papers (title + abstract; embedded, keyword-indexed, stamped with addedAt)',
      description: `Each paper becomes a record of the \`${PAPERS_COLLECTION}\` collection keyed by its id (default: the title's slug), document = title + blank line + abstract, metadata { title, addedAt }. An existing id is replaced. At most ${LIMITS.batchRecordsMax} papers per request.`,
      body: ref(AddPapersRequestSchema),
      response: { 200: ref(AddPapersResponseSchema), ...errors },
    },
    handler: async (request) => {
      if (request.body.papers.length > LIMITS.batchRecordsMax) {
        throw new QuiverError('LIMIT_EXCEEDED', `At most ${LIMITS.batchRecordsMax} papers per request (batchRecordsMax); got ${request.body.papers.length}. Send them in several requests.`, { limit: 'batchRecordsMax' });
      }
      const papers = request.body.papers.map((p, index) => checkPaper(p, `papers[${index}]`));
      const ids = new Set<string>();
      for (const p of papers) {
        if (ids.has(p.id)) throw new QuiverError('INVALID_ARGUMENT', `Two papers in the request have the id "${p.id}"; give them different ids (or titles).`, { id: p.id });
        ids.add(p.id);
      }
      const { count, sequence } = await addPapers(ctx.db.collection(PAPERS_COLLECTION), papers);
      return { ids: papers.map((p) => p.id), count, sequence: sequence ?? '' };
    },
  });
}
