/**
 * The HTTP protocol shared by the server and the client: schemas (server side; they need
 * @sinclair/typebox), the types both sides use, the wire forms of vectors and errors.
 */
export * from './schemas.js';
export * from './types.js';
export * from './errors.js';
export * from './vectors.js';
