import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { NotFoundError, ValidationError } from '../domain/errors.ts';
import { agentByAuthorization } from '../hub/agent-auth.ts';
import type { Hub } from '../hub/hub.ts';
import type { Catalogue } from '../engine/catalogue.ts';
import type { EventBus } from '../engine/bus.ts';
import type { Engine } from '../engine/engine.ts';
import { Idempotency } from '../engine/idempotency.ts';
import { AgentOps } from '../engine/ops.ts';
import type { ReconcileReport } from '../engine/reconciler.ts';
import type { Releases } from '../engine/releases.ts';
import type { SnapshotBuilder } from '../engine/snapshots.ts';
import type { SshHostStore } from '../providers/ssh.ts';
import { installAccess, type DeclaredRoute } from './access.ts';
import { installAudit } from './audit.ts';
import type { Metrics } from './metrics.ts';
import { sendProblem } from './problem.ts';
import { KeyStore } from '../db/stores/keys.ts';
import { ProjectStore } from '../db/stores/projects.ts';
import { registerAgentRoutes } from './routes/agents.ts';
import { registerKeyRoutes } from './routes/keys.ts';
import { registerProjectRoutes } from './routes/projects.ts';
import { registerAuditRoutes } from './routes/audit.ts';
import { registerBudgetRoutes } from './routes/budgets.ts';
import type { CredentialsApi, RouteContext } from './routes/context.ts';
import { registerDashboardRoutes } from './routes/dashboard.ts';
import { registerEventRoutes } from './routes/events.ts';
import { registerInstanceRoutes } from './routes/instances.ts';
import { registerInventoryRoutes } from './routes/inventory.ts';
import { registerLifetimeRoutes } from './routes/lifetimes.ts';
import { nudgeAgents, registerOpsRoutes } from './routes/ops.ts';
import { registerProviderRoutes } from './routes/providers.ts';
import { registerReleaseRoutes } from './routes/releases.ts';
import { registerPoolRoutes, type PoolsApi } from './routes/pools.ts';
import { registerSnapshotRoutes } from './routes/snapshots.ts';
import { registerSshHostRoutes } from './routes/ssh-hosts.ts';
import { registerSystemRoutes } from './routes/system.ts';
import { installSecurity } from './security.ts';
import { registerStreamRoutes } from './reach/register.ts';
import { Tickets } from './tickets.ts';

/** Hands an upgrade request for a stream route (ssh, port-forward, proxy) to the app. */
export type StreamUpgrades = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
import { registerWebhookRoutes } from './routes/webhooks.ts';
import type { Webhooks } from '../engine/webhooks/webhooks.ts';

/** Limits every request is held to (a route may lower or raise its own body limit). */
export const HTTP_LIMITS = {
  /** Default largest request body. */
  bodyBytes: 64 * 1024,
  /** Time to receive a whole request (headers and body); a slower client is cut off. */
  requestTimeoutMs: 60_000,
  /** Largest header section. */
  headerBytes: 16 * 1024,
} as const;

export interface AppDeps {
  engine: Engine;
  bus: EventBus;
  catalogue: Catalogue;
  metrics: Metrics;
  log: Logger;
  /** The agent bundle's bytes, exactly those whose sha256 user-data pins. */
  agentBundle: () => Promise<Buffer>;
  /** One reconciler pass now (ConflictError when another replica holds the lease). */
  reconcile?: () => Promise<ReconcileReport>;
  credentials?: CredentialsApi;
  sshHosts?: SshHostStore;
  /** Directory of the built dashboard (index.html), if any. */
  webDir?: string;
  /** The agent hub: operations commands (status, doctor, logs, smoke, restart, exec) go through it. */
  hub?: Pick<Hub, 'command'>;
  /** Streams to agents (ssh, port-forward, the workload proxy); without it those routes are absent. */
  streams?: Pick<Hub, 'openStream'>;
  snapshots?: SnapshotBuilder;
  releases?: Releases;
  /** Warm pools and the cloud-API budget view (routes/pools.ts). */
  pools?: PoolsApi;
  webhooks?: Webhooks;
  /** Host names the API answers to (see `allowedHosts`); empty = any. */
  allowedHosts?: string[];
  /** Serve /metrics without a key. */
  metricsPublic?: boolean;
  /** Failed credentials one address may present per minute (0 = no limit). */
  authFailuresPerMinute?: number;
  /** Override HTTP_LIMITS.requestTimeoutMs (tests). */
  requestTimeoutMs?: number;
}

/**
 * The HTTP API: a thin shell over the engine. Every route declares who may call it (see
 * `access.ts`), checked on the matched route before the body is read; problem details for every
 * error; explicit limits on bodies, headers and time.
 *
 * @example
 * const app = buildApp({ engine, auth, bus, catalogue, metrics, log, agentBundle });
 * await app.listen({ port: 7070 });
 */
export function buildApp(deps: AppDeps): FastifyInstance & { declaredRoutes: DeclaredRoute[]; streamUpgrades: StreamUpgrades | null } {
  const app: FastifyInstance = Fastify({
    loggerInstance: deps.log.child({ mod: 'http' }) as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: HTTP_LIMITS.bodyBytes,
    // Node applies a request timeout only when it is given at construction (fastify's own option is set too late).
    serverFactory: (handler) => {
      const requestTimeout = deps.requestTimeoutMs ?? HTTP_LIMITS.requestTimeoutMs;
      return createServer({ requestTimeout, headersTimeout: Math.min(requestTimeout, 60_000), maxHeaderSize: HTTP_LIMITS.headerBytes, connectionsCheckingInterval: Math.min(5_000, requestTimeout / 4) }, handler);
    },
    trustProxy: false,
  });

  // JSON bodies: an empty body (DELETE with a content-type, say) is no body; bad JSON names `body`.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, text, done) => {
    if (text === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text as string));
    } catch (err) {
      done(new ValidationError(`request body is not valid JSON: ${(err as Error).message}`, [{ field: 'body', message: 'not valid JSON' }]), undefined);
    }
  });
  app.setErrorHandler((err, req, reply) => {
    const status = (err as { status?: number; statusCode?: number }).status ?? (err as { statusCode?: number }).statusCode;
    if (!status) req.log.error({ err }, 'unhandled error');
    else if (status >= 500) req.log.warn({ err: (err as Error).message }, 'request failed');
    const retryAfter = (err as { retryAfter?: number }).retryAfter;
    if (retryAfter) reply.header('retry-after', String(retryAfter));
    return sendProblem(reply, err);
  });
  app.setNotFoundHandler((req, reply) => sendProblem(reply, new NotFoundError('route', `${req.method} ${req.url.split('?')[0].slice(0, 200)}`)));
  app.addHook('onResponse', async (req, reply) => {
    deps.metrics.http.inc({ method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) });
  });

  installSecurity(app, { allowed: deps.allowedHosts ?? [] });
  const tickets = new Tickets(deps.engine.secretKey);
  const keys = new KeyStore(deps.engine.store.db);
  const projects = new ProjectStore(deps.engine.store.db);
  const declaredRoutes = installAccess(app, {
    apiKey: (h) => keys.authenticate(h),
    projectExists: (name) => projects.active(name),
    // An instance route's `:id` must be of the request's project (another project's is a 404).
    ownerOf: async (req) => {
      if (!req.routeOptions.url?.startsWith('/v1/instances/:id')) return undefined;
      const id = (req.params as { id: string }).id;
      const row = await deps.engine.store.find(id);
      return row ? { project: row.project, what: 'instance', id } : undefined;
    },
    agent: (h) => agentByAuthorization(deps.engine.store, h),
    builder: async (id, h) => (deps.snapshots ? deps.snapshots.authorizes(id, h) : false),
    metricsPublic: deps.metricsPublic ?? false,
    ticket: (req) => tickets.fromRequest(req),
    failuresPerMinute: deps.authFailuresPerMinute ?? 30,
    log: deps.log.child({ mod: 'auth' }),
  });
  installAudit(app, { db: deps.engine.store.db, log: deps.log.child({ mod: 'audit' }) });

  const ops = new AgentOps({ store: deps.engine.store, send: deps.hub ? (id, name, args, t) => deps.hub!.command(id, name, args, t) : undefined, onSmoke: (result) => deps.metrics.smoke.inc({ result }) });
  const ctx: RouteContext = { ...deps, ops, idempotency: new Idempotency(deps.engine.store.db), keys, projects };
  registerSystemRoutes(app, ctx);
  registerInstanceRoutes(app, ctx);
  registerLifetimeRoutes(app, ctx);
  registerEventRoutes(app, ctx);
  registerOpsRoutes(app, ctx);
  registerSshHostRoutes(app, ctx);
  registerSnapshotRoutes(app, ctx);
  registerProviderRoutes(app, ctx);
  registerAgentRoutes(app, ctx);
  registerReleaseRoutes(app, ctx, () => nudgeAgents(ctx));
  const streamUpgrades = deps.streams ? registerStreamRoutes(app, ctx, { streams: deps.streams, tickets }) : null;
  registerProjectRoutes(app, ctx);
  registerKeyRoutes(app, ctx);
  registerAuditRoutes(app, ctx);
  registerInventoryRoutes(app, ctx);
  registerPoolRoutes(app, ctx, deps.pools);
  registerBudgetRoutes(app, ctx);
  if (deps.webhooks) registerWebhookRoutes(app, deps.webhooks);
  if (deps.webDir && existsSync(join(deps.webDir, 'index.html'))) registerDashboardRoutes(app, deps.webDir);

  return Object.assign(app, { declaredRoutes, streamUpgrades });
}
