import type { FastifyInstance } from 'fastify';
import { LIFECYCLE } from '../../domain/lifecycle.ts';
import { ansibleInventory, type SshReach } from '../inventory.ts';
import type { RouteContext } from './context.ts';

/** Every status with a server (or one on its way): a stopped instance has nothing to reach. */
const LIVE = LIFECYCLE.filter((s) => s !== 'stopped');

/**
 * `GET /v1/inventory`: the Ansible dynamic inventory of the caller's project (see
 * {@link ansibleInventory}); `hangar inventory --list` prints it, `contrib/hangar-inventory` wraps that.
 *
 * @example
 * registerInventoryRoutes(app, ctx);
 * // curl -H 'Authorization: Bearer hgr_…' :7070/v1/inventory | jq '._meta.hostvars'
 */
export function registerInventoryRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get('/v1/inventory', { config: { access: 'viewer' } }, async (req) => {
    const rows = await ctx.engine.store.byStatus([...LIVE]);
    const reach = new Map<string, SshReach>();
    if (rows.some((r) => r.provider === 'ssh') && ctx.sshHosts) for (const h of await ctx.sshHosts.list()) reach.set(h.name, { port: h.port, user: h.user });
    return ansibleInventory(rows, req.project, reach);
  });
}
