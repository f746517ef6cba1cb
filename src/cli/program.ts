/**
 * The `quiver` command line: names as in api.md. Each action loads its command module on use, so
 * `quiver --help` and argument errors answer without loading the engine.
 */
import { Command, Option } from 'commander';
import type { Context, GlobalOptions } from './context.js';
import { contextOf } from './context.js';

export interface ProgramHooks {
  version: string;
  /** The signal that asked the running command to stop, if any. */
  stopRequested: () => string | null;
  /** Called before an action runs (main installs signal handlers; serve handles its own). */
  beforeAction(command: string): void;
  writeOut(text: string): void;
  writeErr(text: string): void;
}

export function buildProgram(hooks: ProgramHooks): Command {
  const program = new Command('quiver');
  program
    .description('Quiver, a vector database: manage a local store (--data DIR) or a server (--url URL).')
    .version(hooks.version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .exitOverride()
    .configureOutput({ writeOut: hooks.writeOut, writeErr: hooks.writeErr })
    .showHelpAfterError('(add --help for usage)')
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .option('--data <dir>', 'a local store directory (env QUIVER_DATA_DIR)')
    .option('--url <url>', 'a Quiver server, e.g. http://localhost:6333 (env QUIVER_URL)')
    .option('--api-key <key>', 'API key for --url (env QUIVER_API_KEY)')
    .option('--progress', 'show progress bars even when stderr is not a terminal')
    .option('--no-progress', 'never show progress bars')
    .option('--verbose', 'show error details and stack traces')
    .addHelpText(
      'after',
      `
Examples:
  quiver --data ./db collections create papers --dimension 384 --index HNSW16
  quiver --data ./db import papers.jsonl --collection papers
  quiver --data ./db query --collection papers --key p1 --k 5
  quiver --url http://localhost:6333 --api-key $KEY stats

Exit codes (docs/cli.md):
  0 ok             3 not found      6 I/O error      9 limit exceeded
  1 internal error 4 conflict       7 unavailable   10 unsupported
  2 bad arguments  5 damaged store  8 key refused  130 interrupted`,
    );

  const run = <A extends unknown[]>(name: string, load: () => Promise<(ctx: Context, ...args: A) => Promise<void>>) =>
    async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      const ctx = contextOf(command.optsWithGlobals() as GlobalOptions, process.env, hooks.stopRequested);
      hooks.beforeAction(name);
      const action = await load();
      await action(ctx, ...(args.slice(0, -1) as A));
    };

  program
    .command('serve')
    .description('run the HTTP server on a local store (until Ctrl-C or SIGTERM)')
    .option('--port <port>', 'TCP port (env QUIVER_PORT; default 6333; 0 picks a free one)')
    .option('--host <host>', 'interface to listen on (env QUIVER_HOST; default 127.0.0.1)')
    .option('--config <file>', 'a quiver.config.json (docs/server.md); QUIVER_* variables and flags override it')
    .option('--cluster <nats>', 'join a Quiver cluster through these NATS servers, e.g. nats://a:4222,nats://b:4222 (env QUIVER_CLUSTER_NATS; docs/cluster.md)')
    .addHelpText('after', '\nAPI keys, CORS, limits and the backup directory come from the file or QUIVER_* variables (docs/server.md).')
    .action(run('serve', async () => (await import('./commands/serve.js')).serveCommand));

  const cluster = program.command('cluster').description('a Quiver cluster on NATS JetStream (docs/cluster.md)');
  cluster
    .command('status')
    .description('nodes, collections, shards, replicas and their lag')
    .option('--cluster <nats>', 'NATS servers of the cluster (env QUIVER_CLUSTER_NATS)')
    .option('--json', 'print JSON')
    .action(run('cluster status', async () => (await import('./commands/cluster.js')).clusterStatusCommand));

  const collections = program.command('collections').description('create, list and drop collections');
  collections
    .command('create')
    .description('create a collection (a new store when --data names a new directory)')
    .argument('<name>', 'collection name: letters, digits, _ . -')
    .option('--dimension <n>', 'vector length (optional with --embedding)')
    .option('--embedding <config>', "embed documents and query text: 'builtin' or an EmbeddingConfig as JSON (docs/embeddings.md)")
    .option('--chunking <by:size[:overlap]>', 'with --embedding: embed long documents as chunks, e.g. sentences:200:1')
    .option('--metric <metric>', 'cosine, dot or l2 (default cosine)')
    .option('--index <recipe>', 'index recipe: Flat, HNSW<M>, Vamana<R>, with a reducer (PCA<d>, LeanVec<d>, FFT<d>, MRL<d>) and a quantizer (SQ8, LVQ8, LVQ4x8, ...) (default Flat)')
    .option('--multivector', "records carry sets of vectors (\"vectors\"), scored by MaxSim through MUVERA encodings; metric dot (docs/multivector.md)")
    .option('--pooling <factor>', 'with --multivector: token pooling factor at ingest (1 = off, 2, 3)')
    .action(run('collections create', async () => (await import('./commands/collections.js')).createCollection));
  collections
    .command('list')
    .description('list collections with their dimension, metric, index and count')
    .option('--json', 'print JSON')
    .action(run('collections list', async () => (await import('./commands/collections.js')).listCollections));
  collections
    .command('drop')
    .description('drop a collection and all its records')
    .argument('<name>', 'collection name')
    .option('-y, --yes', 'confirm: the records are deleted')
    .action(run('collections drop', async () => (await import('./commands/collections.js')).dropCollection));

  program
    .command('import')
    .description('import records from JSONL, CSV, Parquet, .npy or .fvecs, in resumable batches')
    .argument('<file>', 'the input file')
    .requiredOption('-c, --collection <name>', 'collection to write into')
    .addOption(new Option('--format <format>', 'input format (default: from the extension)').choices(['jsonl', 'csv', 'parquet', 'npy', 'fvecs', 'listing']))
    .option('--papers', 'rows are Quiver Papers papers ({ id?, title, abstract }, or --format listing: a title line, then an abstract line), stored as the papers app stores them')
    .option('--batch-size <n>', 'records per upsert (1-10000)', '1000')
    .option('--key-field <name>', 'column/field holding the key', 'key')
    .option('--vector-field <name>', 'column/field holding the vector', 'vector')
    .option('--document-field <name>', 'column/field holding the document text', 'document')
    .option('--metadata-fields <names>', 'comma-separated columns to keep as metadata (default: the "metadata" object, else every other column)')
    .option('--row-keys', 'use row numbers (0-based, after --key-prefix) as keys')
    .option('--key-prefix <prefix>', 'prefix for every key', '')
    .option('--keys-file <file>', 'keys for .npy/.fvecs rows, one per line (export writes FILE.keys.jsonl)')
    .option('--create', 'create the collection if it does not exist (dimension from the first row)')
    .option('--dimension <n>', 'with --create: the vector length (checked against the file)')
    .option('--embedding <config>', "with --create: the collection embeds documents ('builtin' or an EmbeddingConfig as JSON); rows need no vector")
    .option('--chunking <by:size[:overlap]>', 'with --create and --embedding: embed long documents as chunks, e.g. sentences:200:1')
    .option('--metric <metric>', 'with --create: cosine, dot or l2')
    .option('--index <recipe>', 'with --create: index recipe')
    .option('--multivector', 'with --create: a multi-vector collection (rows carry "vectors", a list of vectors)')
    .option('--pooling <factor>', 'with --create and --multivector: token pooling factor (1 = off, 2, 3)')
    .option('--checkpoint <file>', 'where to keep the resume checkpoint (default FILE.quiver-import.json)')
    .option('--restart', 'ignore an existing checkpoint and import from the first row')
    .option('--no-wait-index', 'do not wait for the graph index to cover the new records')
    .option('--json', 'print a JSON summary on stdout')
    .addHelpText(
      'after',
      `
Quiver Papers: \`quiver import papers.jsonl --collection papers --papers\` or
\`quiver import listing.txt --collection papers --papers --format listing\` (with --create, the collection
is made as the app makes it: built-in embedder, HNSW16; docs/papers.md).

An interrupted import (Ctrl-C, a crash, kill -9) resumes when run again with the same arguments: the
checkpoint file records the end of the last batch the database acknowledged, and nothing before it is
sent again.`,
    )
    .action(run('import', async () => (await import('./commands/import.js')).importCommand));

  program
    .command('export')
    .description('export every record of a collection as JSONL, .npy or .fvecs')
    .requiredOption('-c, --collection <name>', 'collection to read')
    .option('-o, --output <file>', 'output file (default: stdout, JSONL only)')
    .addOption(new Option('--format <format>', 'output format (default: from the extension, else jsonl)').choices(['jsonl', 'npy', 'fvecs']))
    .option('--batch-size <n>', 'records per scan batch', '1000')
    .option('--no-vectors', 'JSONL without the vectors')
    .action(run('export', async () => (await import('./commands/export.js')).exportCommand));

  program
    .command('query')
    .description('find the nearest records to a vector, or by keywords (--text), under a filter (--filter)')
    .requiredOption('-c, --collection <name>', 'collection to search')
    .option('--vector <json>', "the query vector as a JSON array, e.g. '[0.1, 0.2]'")
    .option('--vector-file <file>', 'query vectors: .json (an array or an array of arrays), .jsonl, .npy, .fvecs')
    .option('--key <key>', 'use the vector of this stored record')
    .option('--multivector <file>', 'multi-vector collections: a .json file with one query\'s vectors (an array of arrays) or several queries (an array of those)')
    .option('--candidates <n>', 'multi-vector collections: candidates re-ranked by exact MaxSim (default 100)')
    .option('-k, --k <n>', 'number of hits', '10')
    .option('--ef <n>', 'beam width of graph searches')
    .option('--include <fields>', 'metadata, document, vector (comma-separated) or none', 'metadata,document')
    .option('--text <text>', 'keyword (BM25) search; with a vector, hybrid search')
    .option('--filter <json>', 'a metadata filter, e.g. \'{"year": {"$gte": 2020}}\' (docs/filters.md)')
    .option('--mode <mode>', 'vector, keyword or hybrid (default: from what is given)')
    .option('--json', 'print JSON')
    .action(run('query', async () => (await import('./commands/query.js')).queryCommand));

  program
    .command('stats')
    .description('what the engine reports about each collection')
    .option('-c, --collection <name>', 'one collection (default: all)')
    .option('--json', 'print JSON')
    .action(run('stats', async () => (await import('./commands/stats.js')).statsCommand));

  program
    .command('verify')
    .description('check every checksum and graph invariant of a local store, read-only')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', '\nExits 0 when the store is healthy and 5 when a file is damaged; the store is never modified.')
    .action(run('verify', async () => (await import('./commands/verify.js')).verifyCommand));

  program
    .command('backup')
    .description('write a consistent copy while writes continue')
    .argument('<destination>', 'local: a new or empty directory; server: a backup name under its backupDir')
    .action(run('backup', async () => (await import('./commands/backup.js')).backupCommand));

  program
    .command('digest')
    .description("Quiver Papers' daily digest by hand: email each subscriber the new papers matching their interests")
    .option('--send', 'send the digest now (to subscribers with papers added since their last digest)')
    .option('--dry-run', 'show who would get which papers; send and record nothing')
    .option('--config <file>', 'with --data: the server configuration file for smtp and digest settings (QUIVER_* variables override it)')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      `
With --data DIR the digest runs here, against the store (stop the server first, or use --url), with the
SMTP server and secret from --config / QUIVER_SMTP_URL, QUIVER_SMTP_FROM and QUIVER_DIGEST_SECRET. With
--url it asks the server (an admin key). A digest is never sent twice; failed sends are retried by the
next run. Exits 7 when a send failed or the SMTP server could not be reached (docs/papers.md).`,
    )
    .action(run('digest', async () => (await import('./commands/digest.js')).digestCommand));

  program
    .command('bench')
    .description('a small benchmark: build, QPS and recall against exact search')
    .option('--count <n>', 'vectors to store', '20000')
    .option('--dimension <n>', 'dimension of generated vectors (default 96)')
    .option('--queries <n>', 'queries to run', '200')
    .option('-k, --k <n>', 'neighbours per query (recall@k)', '10')
    .option('--index <recipe>', 'index recipe', 'HNSW16')
    .addOption(new Option('--metric <metric>', 'distance').choices(['cosine', 'dot', 'l2']).default('cosine'))
    .option('--ef <list>', 'beam widths to measure, comma-separated (default: the index default)')
    .option('--file <file>', 'vectors from a file (.fvecs, .npy, .jsonl, ...) instead of generated ones')
    .option('--seed <n>', 'seed of the generated vectors', '1')
    .option('--batch-size <n>', 'vectors per upsert', '1000')
    .option('--keep', 'keep the benchmark collection (with --data or --url)')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nRuns in memory unless --data or --url is given (then in a temporary collection).')
    .action(run('bench', async () => (await import('./commands/bench.js')).benchCommand));

  return program;
}
