import type { Command } from 'commander';
import { HangarClient } from '../client.ts';
import { configPath, MISSING_KEY, readConfigFile, resolveSettings, writeConfigFile, type CliConfigFile } from '../config.ts';
import { CliError } from '../errors.ts';
import type { Action } from '../program.ts';

/** `hangar login`: check a key against the server, then save URL and key (0600). */
export function registerLogin(program: Command, action: Action): void {
  program
    .command('login')
    .description('check an API key against the server, then save URL and key to ${XDG_CONFIG_HOME:-~/.config}/hangar/config.json (0600)')
    .addHelpText('after', '\nThe admin key (hgr_…) is printed once, when the server first starts (`npm start`).')
    .action(action(async (ctx) => {
      const path = configPath(ctx.io.env);
      let saved: CliConfigFile = {};
      try {
        saved = readConfigFile(path);
      } catch {
        /* a broken file is what login replaces */
      }
      const s = resolveSettings({ url: ctx.opts.url, apiKey: ctx.opts.apiKey }, ctx.io.env, saved);
      if (!s.apiKey) throw new CliError(MISSING_KEY);
      const client = new HangarClient({ url: s.url, apiKey: s.apiKey });
      await client.listInstances({ limit: 1 }); // 401 → problem details, unreachable → network error
      writeConfigFile(path, { ...saved, url: s.url, apiKey: s.apiKey });
      if (ctx.json) return ctx.printJson({ url: s.url, configPath: path });
      ctx.print(`${ctx.c.green('✔')} logged in to ${s.url}; saved to ${path}`);
    }));
}
