import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { HangarError, NotFoundError, UnauthorizedError } from '../domain/errors.ts';
import { PROJECT_HEADER, projectNameProblem, requestProject } from '../domain/projects.ts';
import type { InstanceRow } from '../engine/store.ts';
import { FailureThrottle } from './throttle.ts';
import { DEFAULT_PROJECT, ROLES, roleAllows, type Grant, type Role } from '../domain/roles.ts';

/**
 * Who may call a route. Every route declares one in `config.access`, next to its definition;
 * a route without one makes `buildApp` throw at start-up.
 *
 * - `public`: anyone (health, OpenAPI, enrollment with its one-time token, the agent bundle, the dashboard's files)
 * - `agent`: an enrolled agent, `Authorization: Bearer <agentId>:<agentKey>`
 * - `builder`: a snapshot builder server, `Authorization: Bearer <build token>` for the build in the path
 * - `admin`: an installation admin (API key or SSO user), `Authorization: Bearer hgr_…`
 * - `viewer` | `operator` | `releaser` | `owner`: a caller holding at least that role in the
 *   request's project (`req.project`); installation admins pass (see `roleAllows`)
 * - `metrics`: `public` when HANGAR_METRICS_PUBLIC=1, else `admin`
 */
export type Access = 'public' | 'agent' | 'builder' | 'admin' | 'metrics' | Role;
export const ACCESS: readonly Access[] = ['public', 'agent', 'builder', 'admin', 'metrics', ...ROLES];

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call this route (checked in onRequest, on the matched route, before the body is read). */
    access?: Access;
  }
  interface FastifyRequest {
    /** `api:<key name>` for an API key; set by the access check. */
    actor: string | null;
    /** The id of the API key that called (null for other callers). */
    keyId: string | null;
    /** The project the request acts in (every project-scoped read and write filters by it). */
    project: string;
    /** What the caller holds in `project` (null for public, agent and builder callers). */
    grant: Grant | null;
    /** The instance of the agent that called an `agent` route. */
    agentInstance: InstanceRow | null;
  }
}

/** What an API key holds: its name, its project (null = installation admin) and its grant. */
export interface KeyGrant {
  id: string;
  name: string;
  project: string | null;
  role: Grant;
}

export interface AccessDeps {
  /** Resolve an API key header to its key, or throw UnauthorizedError (read on every request: no cache). */
  apiKey(header: string | undefined): Promise<KeyGrant>;
  /** Whether a project exists (and was not removed). */
  projectExists(name: string): Promise<boolean>;
  /**
   * The project of the object a role route's path names (an instance's `:id`), undefined when the
   * path names none or it does not exist (the handler answers that 404).
   */
  ownerOf?(req: FastifyRequest): Promise<{ project: string; what: string; id: string } | undefined>;
  /** The instance of an agent key header, or null. */
  agent(header: string | undefined): Promise<InstanceRow | null>;
  /** Whether `token` is the build token of snapshot build `id`. */
  builder(id: string, token: string): Promise<boolean>;
  /** Serve /metrics without a key (HANGAR_METRICS_PUBLIC=1). */
  metricsPublic: boolean;
  /** The caller of a route declaring `config.ticket`, from its ticket or cookie (tickets.ts); null when none. */
  ticket?(req: FastifyRequest): { actor: string; grant: Grant } | null;
  /** Failed credentials one source may present per minute before it is answered 429. */
  failuresPerMinute: number;
  log: Logger;
}

/** A declared route, as collected at registration (for the route-table test and the OpenAPI check). */
export interface DeclaredRoute {
  method: string;
  url: string;
  access: Access;
}

/**
 * Install the access check: an `onRoute` hook that refuses a route without a declaration, and an
 * `onRequest` hook that checks the caller against the matched route's declaration (never the URL
 * string), before the body is read. Failed credentials are logged (without the credential) and
 * throttled per source address.
 *
 * @example
 * const routes = installAccess(app, { apiKey: (h) => auth.check(h), agent: (h) => agentByAuthorization(engine.store, h), builder, metricsPublic: false, failuresPerMinute: 30, log });
 * app.get('/v1/instances', { config: { access: 'admin' } }, handler);
 */
export function installAccess(app: FastifyInstance, deps: AccessDeps): DeclaredRoute[] {
  const routes: DeclaredRoute[] = [];
  const throttle = new FailureThrottle(deps.failuresPerMinute);
  app.decorateRequest('actor', null);
  app.decorateRequest('keyId', null);
  app.decorateRequest('agentInstance', null);
  app.decorateRequest('project', DEFAULT_PROJECT);
  app.decorateRequest('grant', null);

  app.addHook('onRoute', (route) => {
    const access = route.config?.access;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!access || !ACCESS.includes(access)) {
      throw new Error(`route ${methods.join(',')} ${route.url} declares no access (config.access: one of ${ACCESS.join(', ')})`);
    }
    for (const method of methods) routes.push({ method, url: route.url, access });
  });

  app.addHook('onRequest', async (req) => {
    // Unmatched requests reach the not-found handler, which reveals nothing and reads no body.
    if (!req.is404) {
      const access = req.routeOptions.config.access;
      if (!access) throw new HangarError('forbidden', 'this route declares no access', 403);
      await check(req, access === 'metrics' ? (deps.metricsPublic ? 'public' : 'admin') : access);
    }
  });

  async function check(req: FastifyRequest, access: Access): Promise<void> {
    if (access === 'public') return;
    const header = req.headers.authorization;
    const source = req.ip;
    if (throttle.blocked(source)) {
      throw Object.assign(new HangarError('too-many-requests', 'too many failed authentication attempts from this address; wait a minute', 429), { retryAfter: 60 });
    }
    try {
      if (access === 'admin' || (ROLES as readonly string[]).includes(access)) {
        // A browser without a bearer header (terminal WebSocket, proxied workload UI): its ticket.
        const t = !header && req.routeOptions.config.ticket ? deps.ticket?.(req) : null;
        if (t) {
          // A ticket carries the grant its minter held; it is still checked against this route's need.
          if (!roleAllows(t.grant, access as Role | 'admin')) throw new HangarError('forbidden', `this needs the ${access} role; the ticket was minted by a caller holding ${t.grant}`, 403);
          req.actor = t.actor;
          req.grant = t.grant;
          return;
        }
        await checkKey(req, header, access as Role | 'admin');
        return;
      }
      if (access === 'agent') {
        const row = header ? await deps.agent(header) : null;
        if (!row) throw new UnauthorizedError('missing or invalid agent key');
        req.agentInstance = row;
        req.actor = `agent:${row.agentId}`;
        return;
      }
      // builder: the build in the path and its token
      const id = (req.params as { id?: string }).id ?? '';
      const token = bearerToken(header);
      if (!token || !(await deps.builder(id, token))) throw new UnauthorizedError('missing or invalid build token');
      req.actor = `builder:${id}`;
    } catch (err) {
      if (err instanceof UnauthorizedError && header) {
        throttle.fail(source);
        deps.log.warn({ ip: source, method: req.method, route: req.routeOptions.url, access, userAgent: req.headers['user-agent'] ?? null, reason: err.message }, 'authentication failed');
      }
      throw err;
    }
  }
  /**
   * An API key: the project it acts in (its own, or for an admin the `X-Hangar-Project` header's),
   * then its grant against the route's need. Another project's name is a 404 like an unknown one,
   * never a 403 that says it exists; so is another project's object in the path.
   */
  async function checkKey(req: FastifyRequest, header: string | undefined, need: Role | 'admin'): Promise<void> {
    const key = await deps.apiKey(header);
    req.actor = `api:${key.name}`;
    req.keyId = key.id;
    const raw = req.headers[PROJECT_HEADER];
    const named = Array.isArray(raw) ? raw[0] : raw;
    const project = requestProject(key, named);
    const unknown = () => new NotFoundError(`project (${PROJECT_HEADER} header)`, JSON.stringify(String(named).slice(0, 64)));
    if (named !== undefined && key.project !== null && named !== key.project) throw unknown();
    if (named !== undefined && (projectNameProblem(project) || !(await deps.projectExists(project)))) throw unknown();
    req.project = project;
    req.grant = key.role;
    if (!roleAllows(key.role, need)) {
      throw new HangarError('forbidden', need === 'admin'
        ? 'this needs an installation admin key; project keys cannot call it'
        : `this needs the ${need} role in project "${project}"; key "${key.name}" holds ${key.role} (a project owner can mint a key with more: hangar keys create)`, 403);
    }
    const owner = need === 'admin' ? undefined : await deps.ownerOf?.(req);
    if (owner !== undefined && owner.project !== req.project) throw new NotFoundError(owner.what, owner.id);
  }
  return routes;
}

/**
 * The token of an `Authorization: Bearer <token>` header (at most 200 visible characters), or null.
 *
 * @example
 * bearerToken('Bearer abc') // → 'abc'
 */
export function bearerToken(header: string | undefined): string | null {
  return /^Bearer\s+(\S{1,200})$/i.exec(header ?? '')?.[1] ?? null;
}
