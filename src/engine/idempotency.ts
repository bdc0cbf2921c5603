import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { idempotencyKeys } from '../db/schema.ts';
import { ConflictError, HangarError, ValidationError } from '../domain/errors.ts';

/** What a caller gets back for a key: run the request now, or replay the first response. */
export type IdempotencyClaim = { kind: 'run'; complete(status: number, response: unknown): Promise<void>; abort(): Promise<void> } | { kind: 'replay'; status: number; response: unknown };

/**
 * `Idempotency-Key` on creating POSTs: the same key and body give the first response again; the
 * same key with another body is a 422; a request still in progress with that key is a 409.
 * Keys are scoped by project, caller and route.
 *
 * @example
 * const claim = await idem.claim('default', 'api:admin', 'POST /v1/instances', key, body);
 * if (claim.kind === 'replay') return reply.code(claim.status).send(claim.response);
 */
export class Idempotency {
  constructor(private readonly db: Db) {}

  async claim(project: string, actor: string, route: string, key: string, body: unknown): Promise<IdempotencyClaim> {
    if (key.length > 200) throw new ValidationError('Idempotency-Key is too long', [{ field: 'Idempotency-Key', message: 'at most 200 characters' }]);
    if (/[^\x20-\x7e]/.test(key)) throw new ValidationError('Idempotency-Key must be printable ASCII', [{ field: 'Idempotency-Key', message: 'printable ASCII only' }]);
    const bodyHash = createHash('sha256').update(JSON.stringify(body ?? {})).digest('hex');
    const scoped = `${project}:${actor}:${route}:${key}`;
    const inserted = await this.db.insert(idempotencyKeys).values({ key: scoped, project, bodyHash }).onConflictDoNothing().returning();
    if (inserted.length) {
      return {
        kind: 'run',
        complete: async (status, response) => void (await this.db.update(idempotencyKeys).set({ status, response }).where(eq(idempotencyKeys.key, scoped))),
        abort: async () => void (await this.db.delete(idempotencyKeys).where(eq(idempotencyKeys.key, scoped))),
      };
    }
    const [prev] = await this.db.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, scoped));
    if (!prev) throw new ConflictError('a request with this Idempotency-Key just finished failing; retry');
    if (prev.bodyHash !== bodyHash) throw Object.assign(new ValidationError('Idempotency-Key was already used with a different body', [{ field: 'Idempotency-Key', message: 'reused with a different body' }]), { status: 422 });
    if (prev.status === null) throw new HangarError('conflict', 'a request with this Idempotency-Key is still in progress; retry shortly', 409);
    return { kind: 'replay', status: prev.status, response: prev.response };
  }
}
