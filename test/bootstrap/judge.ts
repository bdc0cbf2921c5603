/**
 * Judge a set of materialised servers with every real tool; shared by the matrix test and the
 * randomized one. Each function asserts (with the tool's own output in the message) and returns
 * counts so callers can check that something was actually judged.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { parse } from 'yaml';
import { FAIL2BAN_JAIL_PATH } from '../../src/bootstrap/fail2ban.ts';
import { CLOSE_PUBLIC_SSH_PATH } from '../../src/bootstrap/firewall.ts';
import { INSTALL_SCRIPT_PATH } from '../../src/bootstrap/install-script.ts';
import { SSHD_DROPIN_PATH } from '../../src/bootstrap/sshd.ts';
import { cloudInitSchema, composeSpec, fail2banTest, report, run, shellcheck, sshdTest, systemdVerify, ufwCheck, ufwDatadir, ufwShowAdded, pool } from '../tools/judges.ts';
import { ufwLines, type Server } from './artifacts.ts';

const unique = <T>(xs: T[], key: (x: T) => string) => [...new Map(xs.map((x) => [key(x), x])).values()];

export async function judgeCloudInit(servers: Server[]): Promise<number> {
  const failures = await cloudInitSchema(servers.map((s) => s.userDataFile));
  expect(failures.map(report).join('\n\n'), 'cloud-init schema rejected user-data').toBe('');
  return servers.length;
}

export async function judgeShellcheck(servers: Server[]): Promise<number> {
  // Identical scripts (the same workload script in many servers) are checked once.
  const byContent = new Map<string, string>();
  for (const s of servers) for (const f of s.scripts) byContent.set(await readFile(f, 'utf8'), f);
  const files = [...byContent.values()];
  const r = await shellcheck(files);
  expect(r.code, report(r)).toBe(0);
  expect(r.stdout.trim(), report(r)).toBe('');
  return files.length;
}

/**
 * Servers whose units are byte-identical get the same verdict, so each distinct set of units is
 * verified once, in the root of the first server that has it (its scripts are there too).
 */
export async function judgeSystemd(servers: Server[]): Promise<number> {
  const keyed = await Promise.all(
    servers
      .filter((s) => s.units.length)
      .map(async (s) => ({ s, key: (await Promise.all(s.units.map((u) => readFile(join(s.root, 'etc/systemd/system', u), 'utf8')))).join('\0') + s.units.join() })),
  );
  const distinct = unique(keyed, (k) => k.key).map((k) => k.s);
  const results = await pool(distinct, 2, async (s) => ({ s, ...(await systemdVerify(s.root, s.units)) }));
  const bad = results.filter((r) => !r.ok);
  expect(bad.map((b) => `${b.s.label}:\n${report(b.result)}`).join('\n\n'), 'systemd-analyze verify complained').toBe('');
  return distinct.reduce((n, s) => n + s.units.length, 0);
}

export async function judgeCompose(servers: Server[]): Promise<number> {
  let n = 0;
  const problems: string[] = [];
  for (const s of servers) {
    for (const f of s.composeFiles) {
      n++;
      const errors = composeSpec(parse(await readFile(f, 'utf8')));
      if (errors.length) problems.push(`${s.label} ${f}:\n  ${errors.join('\n  ')}`);
    }
  }
  expect(problems.join('\n'), 'compose-spec schema rejected a compose file').toBe('');
  return n;
}

/**
 * The firewall: the `ufw` lines of every rendered install script and close script, verbatim,
 * first with `--dry-run`, then for real in a scratch datadir (disabled firewall) to check their
 * effect: tailnet, WireGuard and SSH open after install, SSH gone after close.
 */
export async function judgeUfw(servers: Server[], opts: { apply?: boolean } = {}): Promise<number> {
  const sets: { label: string; install: string[]; close: string[] }[] = [];
  for (const s of servers) {
    const install = ufwLines(await readFile(join(s.root, INSTALL_SCRIPT_PATH), 'utf8'));
    if (!install.length) continue;
    const close = ufwLines(await readFile(join(s.root, CLOSE_PUBLIC_SSH_PATH), 'utf8').catch(() => ''));
    sets.push({ label: s.label, install, close });
  }
  // Sets whose lines another set also has are covered by that one.
  const all = unique(sets, (x) => JSON.stringify([x.install, x.close]));
  const covers = (a: (typeof sets)[0], b: (typeof sets)[0]) => a !== b && b.install.every((l) => a.install.includes(l)) && b.close.every((l) => a.close.includes(l));
  const distinct = all.filter((b) => !all.some((a) => covers(a, b) && JSON.stringify(a) !== JSON.stringify(b)));
  for (const set of distinct) {
    const lines = [...set.install, ...set.close];
    const dry = await ufwCheck(await ufwDatadir(), lines, true);
    expect(dry.code, `${set.label}: ufw --dry-run\n${report(dry)}`).toBe(0);
    if (opts.apply === false) continue;
    const d = await ufwDatadir();
    const applied = await ufwCheck(d, set.install, false);
    expect(applied.code, `${set.label}: ufw\n${report(applied)}`).toBe(0);
    const added = (await ufwShowAdded(d)).stdout;
    expect(added).toMatch(/ufw allow in on tailscale0/);
    expect(added).toMatch(/ufw allow 41641\/udp/);
    expect(added).toMatch(/ufw allow 22\/tcp/);
    if (set.close.length) {
      const closed = await ufwCheck(d, set.close, false);
      expect(closed.code, report(closed)).toBe(0);
      const after = (await ufwShowAdded(d)).stdout;
      expect(after).not.toMatch(/22\/tcp/);
      expect(after).toMatch(/ufw allow in on tailscale0/);
    }
    // Default policy: deny incoming.
    const policy = await readFile(join(d, 'etc/default/ufw'), 'utf8');
    expect(policy).toMatch(/^DEFAULT_INPUT_POLICY="DROP"/m);
  }
  return distinct.length;
}

export async function judgeFail2ban(servers: Server[]): Promise<number> {
  const jails = unique(
    (await Promise.all(servers.map((s) => readFile(join(s.root, FAIL2BAN_JAIL_PATH), 'utf8').catch(() => '')))).filter(Boolean),
    (x) => x,
  );
  for (const content of jails) {
    const { ok, result } = await fail2banTest([{ name: 'hangar-sshd.local', content }]);
    expect(ok, report(result)).toBe(true);
  }
  return jails.length;
}

export async function judgeSshd(servers: Server[]): Promise<number> {
  const dropins = unique(
    (await Promise.all(servers.map((s) => readFile(join(s.root, SSHD_DROPIN_PATH), 'utf8').catch(() => '')))).filter(Boolean),
    (x) => x,
  );
  for (const content of dropins) {
    const { ok, effective, result } = await sshdTest([{ name: '10-hangar.conf', content }]);
    expect(ok, report(result)).toBe(true);
    // The drop-in wins over sshd_config's and cloud-init's own `yes`.
    expect(effective.passwordauthentication).toBe('no');
    expect(effective.kbdinteractiveauthentication).toBe('no');
    expect(effective.permitemptypasswords).toBe('no');
    expect(['without-password', 'prohibit-password', 'no']).toContain(effective.permitrootlogin);
  }
  return dropins.length;
}

/**
 * Env files read back literally: every secret value of the fixtures appears, byte for byte, as a
 * variable's value when bash sources the env files (`set -a; . file`), and sourcing runs nothing.
 */
export async function judgeEnvFiles(servers: Server[], secretValues: string[]): Promise<number> {
  const files = servers.flatMap((s) => s.envFiles);
  const script = 'for f in "$@"; do ( set -a; . "$f"; env -0 ) || exit 1; done';
  const r = await run(['env', '-i', 'PATH=/usr/bin:/bin', 'bash', '--norc', '--noprofile', '-euc', script, 'bash', ...files]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toBe('');
  const values = new Set(r.stdout.split('\0').map((kv) => kv.slice(kv.indexOf('=') + 1)));
  const missing = secretValues.filter((v) => !values.has(v) && !values.has(`postgresql://runner:${encodeURIComponent(v)}@postgres:5432/runner`));
  expect(missing, 'secrets that did not read back literally').toEqual([]);
  return files.length;
}
