/**
 * The database worker: Quiver's browser entry serving one database to the page (openInWorker). Index
 * builds, OPFS writes (through synchronous access handles, the fast path) and queries all run here.
 */
import { serveQuiver } from 'quiverdb/browser';

serveQuiver();
