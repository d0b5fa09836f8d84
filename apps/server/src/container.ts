import type { Logger } from 'pino';
import type { Config } from './config/config.ts';
import { createDatabase, type DatabaseHandle } from './db/database.ts';
import { migrateToLatest } from './db/migrate.ts';
import { createAccessModule } from './modules/access/index.ts';
import { createCatalogModule } from './modules/catalog/index.ts';
import { createDoraModule } from './modules/dora/index.ts';
import { createFlagsModule } from './modules/flags/index.ts';
import { createIncidentsModule } from './modules/incidents/index.ts';
import { createOncallModule } from './modules/oncall/index.ts';
import { createPolicyModule } from './modules/policy/index.ts';
import { createPostmortemsModule } from './modules/postmortems/index.ts';
import { createReleasesModule } from './modules/releases/index.ts';
import { createSecurityModule } from './modules/security/index.ts';
import { createWorkflowModule } from './modules/workflow/index.ts';
import { createAuditLog } from './platform/audit.ts';
import { type Clock, systemClock } from './platform/clock.ts';
import { createJobQueue, createWorker } from './platform/jobs.ts';
import { createLogger } from './platform/logger.ts';
import { createMetrics } from './platform/metrics.ts';
import {
  createEmailChannel,
  createSlackChannel,
  createWebhookChannel,
} from './platform/notifications/channels.ts';
import { createNotifier } from './platform/notifications/notifications-service.ts';
import { createSigner } from './platform/signing.ts';

export interface ContainerOptions {
  clock?: Clock;
  logger?: Logger;
  database?: DatabaseHandle;
  processMetrics?: boolean;
}

/** The one composition root: builds every module in dependency order from one config. */
export function createContainer(config: Config, options: ContainerOptions = {}) {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(config.logLevel);
  const database = options.database ?? createDatabase(config.database);
  const { db, engine } = database;
  const state = {
    ready: false,
    shuttingDown: false,
    /** Where people and tools reach this server; main.ts sets it once listening. */
    baseUrl: config.publicUrl ?? `http://localhost:${config.port}`,
  };
  const baseUrl = () => state.baseUrl;

  const audit = createAuditLog({ clock });
  const jobs = createJobQueue({ db, clock });
  const worker = createWorker({
    db,
    engine,
    clock,
    logger: logger.child({ component: 'worker' }),
    pollMs: config.worker.pollMs,
  });
  const notifier = createNotifier({
    db,
    clock,
    jobs,
    worker,
    channels: {
      email: createEmailChannel(config.smtp),
      webhook: createWebhookChannel(),
      slack: createSlackChannel(),
    },
  });
  const metrics = createMetrics({ jobs, processMetrics: options.processMetrics ?? true });

  const catalog = createCatalogModule({ db, clock, audit, externalWrites: database.externalWrites });
  const access = createAccessModule({
    db,
    clock,
    audit,
    catalog: catalog.service,
    secureCookies: config.secureCookies,
    jobs,
    worker,
  });
  const policy = createPolicyModule({ db, clock, audit });
  const signer = createSigner({ db });
  const incidents = createIncidentsModule({
    db,
    engine,
    clock,
    audit,
    jobs,
    worker,
    notifier,
    signer,
    catalog: catalog.service,
    baseUrl,
  });
  const oncall = createOncallModule({
    db,
    clock,
    audit,
    jobs,
    worker,
    notifier,
    signer,
    catalog: catalog.service,
    incidents: incidents.service,
    policy: policy.service,
    actionLink: incidents.paging.actionLink,
    baseUrl,
  });
  incidents.paging.addPager(oncall.pager);
  const dora = createDoraModule({
    db,
    clock,
    audit,
    catalog: catalog.service,
    incidents: incidents.service,
    policy: policy.service,
    githubWebhookSecret: config.githubWebhookSecret,
    gitlabWebhookToken: config.gitlabWebhookToken,
  });
  const flags = createFlagsModule({
    db,
    clock,
    audit,
    jobs,
    worker,
    notifier,
    catalog: catalog.service,
    incidents: incidents.service,
    isShuttingDown: () => state.shuttingDown,
  });
  access.provideSdkTokens(flags.service);
  const workflow = createWorkflowModule({
    db,
    clock,
    audit,
    jobs,
    worker,
    notifier,
    catalog: catalog.service,
    policy: policy.service,
    dora: dora.service,
    baseUrl,
    gitlab: config.gitlabApi,
  });
  dora.service.subscribeToCodeHost(workflow.ingest.handle);
  const releases = createReleasesModule({
    db,
    clock,
    audit,
    jobs,
    worker,
    catalog: catalog.service,
    dora: dora.service,
    incidents: incidents.service,
    policy: policy.service,
    flags: flags.service,
  });
  const postmortems = createPostmortemsModule({
    db,
    clock,
    audit,
    jobs,
    worker,
    notifier,
    catalog: catalog.service,
    incidents: incidents.service,
    policy: policy.service,
    baseUrl,
    github: config.githubApi,
  });
  const security = createSecurityModule({
    db,
    clock,
    audit,
    jobs,
    worker,
    notifier,
    signer,
    catalog: catalog.service,
    access: access.service,
    policy: policy.service,
    oncall: oncall.service,
    baseUrl,
    repositories: dora.service,
    github: config.githubApi,
    gitlab: config.gitlabApi,
  });
  // Verified GitHub and GitLab pushes to mapped services are scanned for secrets and changed lockfiles.
  dora.service.subscribeToCodeHost(security.service.pushScans.handle);

  return {
    config,
    clock,
    logger,
    db,
    engine,
    state,
    audit,
    jobs,
    worker,
    notifier,
    metrics,
    catalog,
    access,
    policy,
    incidents,
    oncall,
    signer,
    postmortems,
    dora,
    flags,
    workflow,
    releases,
    security,
    /** Module start-up work that needs the migrated database (recurring jobs). */
    async start() {
      await access.start();
      await incidents.start();
      await security.start();
      await oncall.start();
    },
    /** Runs migrations, then marks the server ready (healthz turns 200). */
    async migrate() {
      const report = await migrateToLatest(db);
      state.ready = true;
      return report;
    },
    async close() {
      state.shuttingDown = true;
      await worker.stop();
      await incidents.ingest.close();
      await database.close();
    },
  };
}

export type Container = ReturnType<typeof createContainer>;
