export { buildApp, VERSION } from './app.ts';
export { type Config, ConfigError, loadConfig } from './config/config.ts';
export { type Container, createContainer } from './container.ts';
export { createDatabase } from './db/database.ts';
export { migrateToLatest } from './db/migrate.ts';
export { seedDemo } from './demo/demo.ts';
export { type RunningServer, serve, stopOnSignals } from './main.ts';
export { systemPrincipal } from './platform/access/permissions.ts';
