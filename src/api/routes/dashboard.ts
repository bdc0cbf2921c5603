import { stat, readFile } from 'node:fs/promises';
import { join, normalize, sep } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../domain/errors.ts';
import { sendProblem } from '../problem.ts';
import { DASHBOARD_CSP } from '../security.ts';

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json' };

/**
 * The built dashboard: its files under `webDir`, and `index.html` for every other path (the
 * single-page app routes itself). Public: it holds no data; the API it calls needs a key.
 *
 * @example
 * registerDashboardRoutes(app, '/path/to/web/dist');
 */
export function registerDashboardRoutes(app: FastifyInstance, webDir: string): void {
  const root = normalize(webDir + sep);
  const fileFor = async (urlPath: string): Promise<string> => {
    let rel: string;
    try {
      rel = decodeURIComponent(urlPath).replace(/^\/+/, '');
    } catch {
      return join(root, 'index.html');
    }
    if (!rel || rel.includes('\u0000') || !/\.[a-z0-9]+$/.test(rel)) return join(root, 'index.html');
    const file = normalize(join(root, rel));
    if (!file.startsWith(root)) return join(root, 'index.html');
    const st = await stat(file).catch(() => null);
    return st?.isFile() ? file : join(root, 'index.html');
  };
  app.get('/*', { config: { access: 'public' } }, async (req, reply) => {
    const path = req.url.split('?')[0];
    if (path.startsWith('/v1/')) return sendProblem(reply, new NotFoundError('route', `${req.method} ${path.slice(0, 200)}`));
    const file = await fileFor(path);
    const ext = /\.[a-z0-9]+$/.exec(file)?.[0] ?? '.html';
    if (ext === '.html') reply.header('content-security-policy', DASHBOARD_CSP);
    return reply.type(TYPES[ext] ?? 'application/octet-stream').header('cache-control', ext === '.html' ? 'no-cache' : 'public, max-age=31536000, immutable').send(await readFile(file));
  });
}
