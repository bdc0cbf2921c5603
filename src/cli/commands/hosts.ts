import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { CommonOptions } from '../context.ts';
import { UsageError } from '../errors.ts';
import { table } from '../output.ts';
import type { Action } from '../program.ts';

interface AddOptions extends CommonOptions {
  port?: string;
  user?: string;
  key?: string;
  pin?: string;
  remoteRoot?: string;
  keepFiles?: boolean;
  probe: boolean;
}

/** `hangar hosts add|ls|rm`: servers you bring, for `--provider ssh --location NAME`. */
export function registerHosts(program: Command, action: Action): void {
  const hosts = program.command('hosts').description('servers you bring (the ssh provider): add, list, remove');
  hosts
    .command('add')
    .description('register a Debian/Ubuntu host reachable over SSH; checks it at once (--no-probe to skip)')
    .argument('<name>', 'a short name; `hangar create --provider ssh --location NAME` uses it')
    .argument('<address>', 'IP or DNS name')
    .option('--port <port>', 'SSH port', '22')
    .option('--user <user>', 'login user (root, or one with sudo)', 'root')
    .requiredOption('--key <file>', 'private key file; its contents are sent and stored sealed')
    .option('--pin <fingerprint>', 'expected host key (SHA256:… as ssh-keygen -lf prints it); default: trust on first use')
    .option('--remote-root <dir>', 'where Hangar installs on the host (default /opt/hangar)')
    .option('--keep-files', 'keep installed files when an instance is destroyed')
    .option('--no-probe', 'register without connecting')
    .action(action<AddOptions>(async (ctx, [name, address], opts) => {
      let privateKey: string;
      try {
        privateKey = readFileSync(opts.key!, 'utf8');
      } catch (err) {
        throw new UsageError(`--key ${opts.key}: ${(err as Error).message}`);
      }
      const port = Number(opts.port);
      if (!Number.isInteger(port)) throw new UsageError(`--port must be a number, got "${opts.port}"`);
      const host = await ctx.client().addHost({ name, address, port, user: opts.user, privateKey, hostKey: opts.pin, remoteRoot: opts.remoteRoot, keepFiles: opts.keepFiles }, opts.probe);
      if (ctx.json) return ctx.printJson(host);
      ctx.print(`${ctx.c.green('✔')} host ${ctx.c.bold(host.name)} registered (${host.user}@${host.address}:${host.port})`);
      if (host.hostKey) ctx.print(`  host key ${host.hostKey} (${host.hostKeyTrust === 'pinned' ? 'pinned' : 'recorded on first use; compare it with ssh-keygen -lf on the host'})`);
      ctx.print(`  create on it: hangar create --provider ssh --location ${host.name} --wait`);
    }));
  hosts
    .command('ls')
    .description('list registered hosts')
    .action(action<CommonOptions>(async (ctx) => {
      const { items } = await ctx.client().listHosts();
      if (ctx.json) return ctx.printJson(items);
      if (!items.length) return ctx.print('no hosts; add one with `hangar hosts add NAME ADDRESS --key ~/.ssh/id_ed25519`');
      ctx.print(table(['NAME', 'ADDRESS', 'USER', 'STATE', 'SERVER', 'HOST KEY'], items.map((h) => [h.name, `${h.address}:${h.port}`, h.user, h.state, h.serverName ?? '', h.hostKey ?? '(first use)']), ctx.c));
    }));
  hosts
    .command('rm')
    .description('unregister a host (never touches the host itself)')
    .argument('<name>', 'host name or id')
    .option('--force', 'even while an instance uses it')
    .action(action<CommonOptions & { force?: boolean }>(async (ctx, [name], opts) => {
      await ctx.client().removeHost(name, Boolean(opts.force));
      if (ctx.json) return ctx.printJson({ removed: name });
      ctx.print(`${ctx.c.green('✔')} host ${name} unregistered`);
    }));
}
