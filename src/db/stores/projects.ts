import { and, asc, count, eq, inArray, isNull, sql } from 'drizzle-orm';
import { ConflictError, NotFoundError, ValidationError } from '../../domain/errors.ts';
import { projectNameProblem } from '../../domain/projects.ts';
import { DEFAULT_PROJECT } from '../../domain/roles.ts';
import type { Db } from '../client.ts';
import { apiKeys, instances, projects } from '../schema.ts';

/** Instance states that still hold (or may soon hold) a server. */
const LIVE = ['pending', 'provisioning', 'running', 'stopping'];

export interface ProjectInfo {
  name: string;
  createdAt: Date;
  createdBy: string | null;
  /** Instances that still hold (or may soon hold) a server. */
  liveInstances: number;
}

/**
 * Projects (tenants) in the database. A removed project keeps its row with `deleted_at` (its
 * instances' history still points at it, and its name is never handed out again); its keys are
 * revoked in the same transaction.
 *
 * @example
 * const projects = new ProjectStore(db);
 * await projects.create('team-a', 'api:admin');
 * await projects.active('team-a'); // → true
 */
export class ProjectStore {
  constructor(private readonly db: Db) {}

  /** Whether `name` is a project that exists and was not removed. */
  async active(name: string): Promise<boolean> {
    if (projectNameProblem(name)) return false;
    const [r] = await this.db.select({ name: projects.name }).from(projects).where(and(eq(projects.name, name), isNull(projects.deletedAt)));
    return Boolean(r);
  }

  async create(name: string, createdBy: string): Promise<ProjectInfo> {
    const problem = projectNameProblem(name);
    if (problem) throw new ValidationError(`project name ${problem}`, [{ field: 'name', message: problem }]);
    const [row] = await this.db.insert(projects).values({ name, createdBy }).onConflictDoNothing().returning();
    if (!row) throw new ConflictError(`a project named "${name}" exists or existed (names of removed projects are not reused); pick another name`);
    return { name: row.name, createdAt: row.createdAt, createdBy: row.createdBy, liveInstances: 0 };
  }

  /** Active projects (all, or only `only`), by name, with their live instance counts. */
  async list(only?: string): Promise<ProjectInfo[]> {
    const rows = await this.db
      .select({ name: projects.name, createdAt: projects.createdAt, createdBy: projects.createdBy })
      .from(projects)
      .where(only === undefined ? isNull(projects.deletedAt) : and(isNull(projects.deletedAt), eq(projects.name, only)))
      .orderBy(asc(projects.name));
    if (!rows.length) return [];
    const counts = await this.db
      .select({ project: instances.project, n: count() })
      .from(instances)
      .where(and(inArray(instances.status, LIVE), inArray(instances.project, rows.map((r) => r.name))))
      .groupBy(instances.project);
    const live = new Map(counts.map((c) => [c.project, Number(c.n)]));
    return rows.map((r) => ({ ...r, liveInstances: live.get(r.name) ?? 0 }));
  }

  /**
   * Remove a project: refused while it has live instances (409 naming the count); revokes its keys.
   * `default` cannot be removed.
   */
  async remove(name: string): Promise<void> {
    if (name === DEFAULT_PROJECT) throw new ConflictError('the default project cannot be removed');
    await this.db.transaction(async (tx) => {
      const [row] = await tx.select({ name: projects.name }).from(projects).where(and(eq(projects.name, name), isNull(projects.deletedAt))).for('update');
      if (!row) throw new NotFoundError('project', name);
      const [{ n }] = await tx.select({ n: count() }).from(instances).where(and(eq(instances.project, name), inArray(instances.status, LIVE)));
      if (Number(n) > 0) throw new ConflictError(`project "${name}" still has ${n} live instance${Number(n) === 1 ? '' : 's'}; destroy ${Number(n) === 1 ? 'it' : 'them'} first (hangar ls --project ${name})`);
      await tx.update(apiKeys).set({ revokedAt: sql`now()` }).where(and(eq(apiKeys.project, name), isNull(apiKeys.revokedAt)));
      await tx.update(projects).set({ deletedAt: sql`now()` }).where(eq(projects.name, name));
    });
  }
}
