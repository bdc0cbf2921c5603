import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { ReconcileReport } from '../../engine/reconciler.ts';
import type { Catalogue } from '../../engine/catalogue.ts';
import type { EventBus } from '../../engine/bus.ts';
import type { Engine } from '../../engine/engine.ts';
import type { Idempotency } from '../../engine/idempotency.ts';
import type { AgentOps } from '../../engine/ops.ts';
import type { Releases } from '../../engine/releases.ts';
import type { SnapshotBuilder } from '../../engine/snapshots.ts';
import type { InstanceRow } from '../../engine/store.ts';
import type { SshHostStore } from '../../providers/ssh.ts';
import type { KeyStore } from '../../db/stores/keys.ts';
import type { ProjectStore } from '../../db/stores/projects.ts';
import type { Metrics } from '../metrics.ts';
import { instanceJson } from '../serialize.ts';

/** Cloud and tailnet credentials given through the API (sealed at rest, never returned). */
export interface CredentialsApi {
  stored(): Promise<string[]>;
  put(service: string, body: unknown): Promise<void>;
  remove(service: string): Promise<boolean>;
}

/** What the route groups share: the engine and its parts, read-only. */
export interface RouteContext {
  readonly engine: Engine;
  readonly bus: EventBus;
  readonly catalogue: Catalogue;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly ops: AgentOps;
  readonly idempotency: Idempotency;
  readonly agentBundle: () => Promise<Buffer>;
  readonly reconcile?: () => Promise<ReconcileReport>;
  readonly credentials?: CredentialsApi;
  readonly sshHosts?: SshHostStore;
  readonly snapshots?: SnapshotBuilder;
  readonly releases?: Releases;
  readonly webDir?: string;
  readonly keys: KeyStore;
  readonly projects: ProjectStore;
}

/** The caller recorded in events and audit rows (`api:<key name>`, `agent:<id>`). */
export const actorOf = (req: FastifyRequest): string => req.actor ?? 'api';

/** The `:id` path parameter. */
export const idOf = (req: FastifyRequest): string => (req.params as { id: string }).id;

/** An instance as the API shows it: its price and the names (never values) of its secrets. */
export const serializeInstance = (ctx: RouteContext, row: InstanceRow) =>
  instanceJson(row, ctx.catalogue.monthlyPrice(row.provider, row.serverType, row.location), ctx.engine.secretNames(row));
