/** The dedicated worker of the openInWorker test: the browser entry serving one database. */
import { serveQuiver } from '../../src/browser.js';

serveQuiver();
