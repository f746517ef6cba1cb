/**
 * The web console's build: static files in console/dist that the server serves at /. The console talks
 * to the server only through QuiverClient (quiverdb/client), compiled from this repository's sources.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('.'),
  // relative asset URLs: the console works at / and behind a reverse proxy's path prefix
  base: './',
  resolve: {
    alias: { 'quiverdb/client': here('../src/client/index.ts') },
  },
  build: {
    outDir: here('dist'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
  server: {
    // `npm run console:dev` against a server on the default port
    proxy: { '/v1': 'http://127.0.0.1:6333', '/healthz': 'http://127.0.0.1:6333' },
  },
});
