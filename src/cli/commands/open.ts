import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import type { CommonOptions } from '../context.ts';
import type { Action } from '../program.ts';
import { resolveId } from './resolve.ts';

/** The program that opens a URL in the desktop's browser, per platform (argv, no shell). */
const OPENER: Record<string, string> = { darwin: 'open', win32: 'explorer.exe' };

/**
 * The dashboard page of an instance.
 *
 * @example
 * dashboardUrl('http://127.0.0.1:7070', '5aa2f4bc-…') // → 'http://127.0.0.1:7070/#/instances/5aa2f4bc-…'
 */
export const dashboardUrl = (base: string, id: string): string => `${base.replace(/\/+$/, '')}/#/instances/${encodeURIComponent(id)}`;

/** `hangar open ID`: print the instance's dashboard URL and open it in the browser (`--print`: print only). */
export function registerOpen(program: Command, action: Action): void {
  program
    .command('open')
    .description("open an instance's page in the dashboard (prints the URL too)")
    .argument('<id>', 'instance id, unique id prefix, or name')
    .option('--print', 'only print the URL')
    .action(action<CommonOptions & { print?: boolean }>(async (ctx, [ref], opts) => {
      const client = ctx.client();
      const id = await resolveId(client, ref);
      const url = dashboardUrl(client.url, id);
      if (ctx.json) ctx.printJson({ id, url });
      else ctx.io.stdout.write(`${url}\n`);
      if (opts.print) return 0;
      const opener = ctx.io.env.BROWSER || OPENER[process.platform] || 'xdg-open';
      const ok = await new Promise<boolean>((resolve) => {
        const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
        child.once('error', () => resolve(false));
        child.once('spawn', () => {
          child.unref();
          resolve(true);
        });
      });
      if (!ok) ctx.info(`(could not start ${opener}; open the URL above yourself, or set BROWSER)`);
      return 0;
    }));
}
