import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import type { Command } from 'commander';
import type { CommonOptions } from '../context.ts';
import { UsageError } from '../errors.ts';
import { table } from '../output.ts';
import type { Action } from '../program.ts';

interface AddOptions extends CommonOptions {
  port?: string;
  user?: string;
  key?: string;
  keyName?: string;
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
    .option('--key <file>', 'private key file on this machine; its contents are sent and stored sealed on the server')
    .option('--key-name <name>', "instead of --key: a key file already in the server's HANGAR_SSH_KEY_DIR")
    .option('--pin <fingerprint>', 'expected host key (SHA256:… as ssh-keygen -lf prints it); default: trust on first use')
    .option('--remote-root <dir>', 'where Hangar installs on the host: /opt/hangar (default) or /opt/hangar-<name>; removed on destroy')
    .option('--keep-files', 'keep installed files when an instance is destroyed')
    .option('--no-probe', 'register without connecting')
    .action(action<AddOptions>(async (ctx, [name, address], opts) => {
      ctx.fieldFlags = { name: 'NAME', address: 'ADDRESS', port: '--port', user: '--user', privateKey: '--key', keyPath: '--key-name', hostKey: '--pin', remoteRoot: '--remote-root', keepFiles: '--keep-files' };
      if (!opts.key === !opts.keyName) throw new UsageError('give exactly one of --key FILE (a key on this machine, uploaded) and --key-name NAME (a key in the server\'s HANGAR_SSH_KEY_DIR)');
      const key = opts.key ? { privateKey: await readLocalKey(opts.key) } : { keyPath: opts.keyName };
      const port = Number(opts.port);
      if (!Number.isInteger(port)) throw new UsageError(`--port must be a number, got "${opts.port}"`);
      const host = await ctx.client().addHost({ name, address, port, user: opts.user, ...key, hostKey: opts.pin, remoteRoot: opts.remoteRoot, keepFiles: opts.keepFiles }, opts.probe);
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

/**
 * Read a private key file on the operator's machine (the CLI and the server may be on different
 * machines: the key is uploaded, and stored sealed there). `~/` is the home directory; only a
 * regular file of at most 64 KiB is read, without blocking on a FIFO or a device.
 *
 * @example
 * await readLocalKey('~/.ssh/id_ed25519') // → '-----BEGIN OPENSSH PRIVATE KEY-----…'
 */
export async function readLocalKey(path: string): Promise<string> {
  const file = path === '~' || path.startsWith('~/') ? `${homedir()}${path.slice(1)}` : path;
  let fh: Awaited<ReturnType<typeof open>> | null = null;
  try {
    // A symlinked key (dotfile managers) is fine here: open the file it points to.
    fh = await open(await realpath(file), constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    const st = await fh.stat();
    if (!st.isFile()) throw new UsageError(`--key ${path}: not a regular file`);
    if (st.size > MAX_KEY_BYTES) throw new UsageError(`--key ${path}: larger than ${MAX_KEY_BYTES} bytes; is it a private key?`);
    return await fh.readFile('utf8');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.message;
    throw new UsageError(`--key ${path}: ${why}`);
  } finally {
    await fh?.close();
  }
}

/** Largest key file read (as the server accepts). */
const MAX_KEY_BYTES = 64 * 1024;
