import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { newReleaseKey, publicKeyOf, RELEASE_VERSION, signRelease } from '../../domain/releases.ts';
import type { CommonOptions } from '../context.ts';
import { UsageError } from '../errors.ts';
import { table } from '../output.ts';
import type { Action } from '../program.ts';
import { resolveId } from './resolve.ts';

/**
 * `hangar agent release keygen|publish|ls|approve|revoke` and `hangar agent update ID`: signed
 * agent releases that reach agents only once an operator approves them (seed 004's review gate).
 */
export function registerAgent(program: Command, action: Action): void {
  const agent = program.command('agent').description('agent releases (signed, review-gated self-update) and updating one agent now');
  const release = agent.command('release').description('publish, approve (optionally to a canary share), list and revoke agent releases');

  release
    .command('keygen')
    .description('create an ed25519 release signing key: the private key stays here (0600), the public key goes into HANGAR_RELEASE_KEYS')
    .option('--out <dir>', 'directory for release-key.pem and release-key.pub', '.')
    .action(action<CommonOptions & { out: string }>(async (ctx, _args, opts) => {
      const dir = resolve(opts.out);
      const pem = join(dir, 'release-key.pem');
      if (existsSync(pem)) throw new UsageError(`${pem} already exists; refusing to overwrite a signing key`);
      mkdirSync(dir, { recursive: true });
      const k = newReleaseKey();
      writeFileSync(pem, k.privateKeyPem, { mode: 0o600 });
      writeFileSync(join(dir, 'release-key.pub'), `${k.publicKey}\n`, { mode: 0o644 });
      if (ctx.json) return ctx.printJson({ privateKeyFile: pem, publicKey: k.publicKey });
      ctx.print(`${ctx.c.green('✔')} signing key written to ${pem} (0600); keep it off the control plane`);
      ctx.print(`  trust it on the server: HANGAR_RELEASE_KEYS=${k.publicKey}`);
    }));

  release
    .command('publish <version>')
    .description('sign an agent bundle with your key and publish it as VERSION, e.g. 1.2.0 (it reaches no agent until approved)')
    .requiredOption('--key <file>', 'the private key from `hangar agent release keygen`')
    .option('--bundle <file>', 'the bundle to publish (default: build the agent from this checkout with that version)')
    .option('--notes <text>', 'release notes')
    .action(action<CommonOptions & { key: string; bundle?: string; notes?: string }>(async (ctx, [version], opts) => {
      if (!RELEASE_VERSION.test(version)) throw new UsageError(`VERSION must look like 1.2.3, got "${version}"`);
      let pem: string;
      try {
        pem = readFileSync(opts.key, 'utf8');
        publicKeyOf(pem);
      } catch (err) {
        throw new UsageError(`--key ${opts.key}: not a readable ed25519 private key (${(err as Error).message})`);
      }
      let file = opts.bundle;
      if (!file) {
        const { bundleAgent } = await import('../../build/agent-bundle.ts');
        file = join(tmpdir(), `hangar-agent-${version}-${process.pid}.mjs`);
        if (!ctx.json) ctx.print(`building agent ${version}…`);
        await bundleAgent(file, version);
      }
      const bundle = readFileSync(file);
      const r = await ctx.client().publishRelease({ version, bundle: bundle.toString('base64'), signature: signRelease(bundle, version, pem), ...(opts.notes ? { notes: opts.notes } : {}) });
      if (ctx.json) return ctx.printJson(r);
      ctx.print(`${ctx.c.green('✔')} agent ${ctx.c.bold(r.version)} published (${r.size} bytes, sha256 ${r.sha256.slice(0, 12)}…)`);
      ctx.print(`  roll it out: hangar agent release approve ${r.version} [--canary 10]`);
    }));

  release
    .command('ls')
    .description('list agent releases with their state and how many agents run each')
    .action(action(async (ctx) => {
      const { items, trustedKeys } = await ctx.client().listReleases();
      if (ctx.json) return ctx.printJson({ items, trustedKeys });
      if (!trustedKeys) ctx.print(ctx.c.yellow('no trusted release key on the server (HANGAR_RELEASE_KEYS): nothing can be published'));
      if (!items.length) return ctx.print('no agent releases; publish one with `hangar agent release publish 1.0.0 --key release-key.pem`');
      ctx.print(table(['VERSION', 'STATE', 'SHARE', 'AGENTS', 'PUBLISHED', 'APPROVED'], items.map((r) => [r.version, r.status, r.approvedAt ? `${r.canaryPercent}%` : '', String(r.agents), r.publishedAt, r.approvedAt ?? '']), ctx.c));
    }));

  release
    .command('approve <version>')
    .description('let agents run this release (the most recently approved one is the target); with --canary, only that share of agents')
    .option('--canary <percent>', 'share of agents, 1–100 (approve again with a larger share to widen)')
    .option('--allow-downgrade', 'approve a version lower than the highest approved one (rolls agents back; recorded with your name). Revoking the newer release is the usual way back')
    .action(action<CommonOptions & { canary?: string; allowDowngrade?: boolean }>(async (ctx, [version], opts) => {
      const pct = opts.canary === undefined ? undefined : Number(opts.canary);
      if (pct !== undefined && (!Number.isInteger(pct) || pct < 1 || pct > 100)) throw new UsageError(`--canary must be an integer 1–100, got "${opts.canary}"`);
      const r = await ctx.client().approveRelease(version, pct, opts.allowDowngrade === true);
      if (ctx.json) return ctx.printJson(r);
      ctx.print(`${ctx.c.green('✔')} agent ${ctx.c.bold(r.version)} approved for ${r.canaryPercent}% of agents; connected agents check now, the others within their update interval`);
      if (r.downgradeAllowedBy) ctx.print(ctx.c.yellow(`  a downgrade: a higher version was approved; allowed by ${r.downgradeAllowedBy}`));
      ctx.print(`  follow it: hangar agent release ls, hangar events ID`);
    }));

  release
    .command('revoke <version>')
    .description('withdraw a release: agents on it move to the previously approved one')
    .action(action(async (ctx, [version]) => {
      const r = await ctx.client().revokeRelease(version);
      if (ctx.json) return ctx.printJson(r);
      ctx.print(`${ctx.c.green('✔')} agent ${ctx.c.bold(r.version)} revoked`);
    }));

  agent
    .command('update <instance>')
    .description('ask one agent to check for an approved release now')
    .action(action(async (ctx, [ref]) => {
      const client = ctx.client();
      const r = await client.agentUpdate(await resolveId(client, ref));
      if (ctx.json) return ctx.printJson(r);
      if (!r.ok) {
        ctx.print(ctx.c.red(`✘ ${r.error ?? 'update check failed'}`));
        return 1;
      }
      ctx.print(`${r.data?.staged ? ctx.c.green('✔') : '·'} ${r.data?.detail ?? ''}`);
    }));
}
