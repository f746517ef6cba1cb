/**
 * quiverdb/server: the HTTP server of api.md ("HTTP API"). `startServer()` runs it (quiver serve,
 * npm start); `buildApp()` gives the fastify application without listening; `loadConfig()` reads the
 * configuration file and QUIVER_* environment variables.
 */
export { startServer, type StartServerOptions, type RunningServer } from './start.js';
export { buildApp, type BuildAppOptions, type QuiverApp } from './app.js';
export { loadConfig, parseApiKeys, envName, DEFAULT_LIMITS, DEFAULT_PORT, ROLES, type Role, type ServerConfig, type ServerConfigInput, type LoadConfigOptions } from './config.js';
export type { Access } from './auth.js';
