/**
 * The real tools that judge rendered artifacts, each wrapped so a test can batch many artifacts
 * into few invocations and print the tool's own output when it objects.
 *
 * | judge | tool | how |
 * | --- | --- | --- |
 * | {@link cloudInitSchema} | `cloud-init schema --config-file F` | cloud-init's entry point, once per file, in one Python process |
 * | {@link shellcheck} | `shellcheck -s bash -S style` | two calls for many files |
 * | {@link systemdVerify} | `systemd-analyze verify --root=R --man=no` | one call per scratch root; warnings count as failures |
 * | {@link composeSpec} | ajv + `src/bootstrap/compose-spec.json` | in process |
 * | {@link ufwCheck} | `ufw --datadir=D [--dry-run]` | inside `unshare --net`, scratch datadir copied from /etc/ufw |
 * | {@link fail2banTest} | `fail2ban-client -c D -t` | scratch copy of /etc/fail2ban; WARNING lines count as failures |
 * | {@link sshdTest} | `sshd -t -f F` / `sshd -T` | inside `unshare --mount` with a private /run/sshd, scratch host key |
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import composeSpecJson from '../../src/bootstrap/compose-spec.json' with { type: 'json' };

export interface ToolResult {
  argv: string[];
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a command, capturing its output (never throws for a non-zero exit). */
export function run(argv: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: opts.cwd, env: opts.env ?? process.env, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${argv[0]}: ${err.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ argv, code, stdout, stderr });
    });
    if (child.stdin) {
      child.stdin.on('error', () => {});
      child.stdin.end(opts.input);
    }
  });
}

/** A tool's verdict, printable as an assertion message. */
export function report(r: ToolResult): string {
  return `$ ${r.argv.join(' ')}\nexit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

/** Map with at most `n` promises in flight (the machine has two shared cores). */
export async function pool<T, R>(items: T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

const scratch: string[] = [];

/** A fresh scratch directory, removed by {@link removeScratchDirs}. */
export async function scratchDir(tag: string): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), `hangar-judge-${tag}-`));
  scratch.push(d);
  return d;
}

/** Remove every scratch directory made so far (call it in `afterAll`). */
export async function removeScratchDirs(): Promise<void> {
  await Promise.all(scratch.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

// ── cloud-init ──────────────────────────────────────────────────────────────────────────────

/**
 * `cloud-init schema --config-file F` for each file, in one Python process: the driver calls
 * cloud-init's own command-line entry point (`cloudinit.cmd.main.main`, what /usr/bin/cloud-init
 * runs) with exactly that argv once per file, which spares an interpreter start per file (0.25 s
 * each). {@link cloudInitSchemaCli} runs the binary itself. Returns the failures only.
 */
export async function cloudInitSchema(files: string[]): Promise<ToolResult[]> {
  const driver = [
    'import contextlib, io, json, sys',
    'from cloudinit.cmd.main import main',
    'for f in sys.argv[1:]:',
    '    out, err, code = io.StringIO(), io.StringIO(), 0',
    '    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):',
    '        try:',
    '            code = main(["cloud-init", "schema", "--config-file", f]) or 0',
    '        except SystemExit as e:',
    '            code = e.code if isinstance(e.code, int) else 1',
    '    print(json.dumps({"file": f, "code": code, "stdout": out.getvalue(), "stderr": err.getvalue()}))',
  ].join('\n');
  const half = Math.ceil(files.length / 2);
  const chunks = [files.slice(0, half), files.slice(half)].filter((c) => c.length);
  const runs = await Promise.all(chunks.map((c) => run(['/usr/bin/python3', '-c', driver, ...c], { timeoutMs: 120_000 })));
  const out: ToolResult[] = [];
  for (const [i, r] of runs.entries()) {
    if (r.code !== 0) {
      out.push(r);
      continue;
    }
    const seen = new Set<string>();
    for (const line of r.stdout.split('\n').filter(Boolean)) {
      const j = JSON.parse(line) as { file: string; code: number; stdout: string; stderr: string };
      seen.add(j.file);
      const res = { argv: ['cloud-init', 'schema', '--config-file', j.file], code: j.code, stdout: j.stdout, stderr: j.stderr };
      if (j.code !== 0 || !/^Valid cloud-config/m.test(j.stdout)) out.push(res);
    }
    for (const f of chunks[i]) if (!seen.has(f)) out.push({ argv: ['cloud-init', 'schema', '--config-file', f], code: null, stdout: '', stderr: 'no verdict from the driver' });
  }
  return out;
}

/** `/usr/bin/cloud-init schema --config-file F`, the binary itself. */
export function cloudInitSchemaCli(file: string): Promise<ToolResult> {
  return run(['cloud-init', 'schema', '--config-file', file]);
}

// ── shellcheck ──────────────────────────────────────────────────────────────────────────────

/** `shellcheck` over every file (bash, all severities down to style), split over two processes. */
export async function shellcheck(files: string[]): Promise<ToolResult> {
  const argv = ['shellcheck', '--shell=bash', '--severity=style', '--format=gcc'];
  const half = Math.ceil(files.length / 2);
  const chunks = [files.slice(0, half), files.slice(half)].filter((c) => c.length);
  const runs = await Promise.all(chunks.map((c) => run([...argv, ...c], { timeoutMs: 120_000 })));
  return {
    argv: [...argv, ...files],
    code: runs.reduce<number | null>((c, r) => (c === 0 ? r.code : c), 0),
    stdout: runs.map((r) => r.stdout).join(''),
    stderr: runs.map((r) => r.stderr).join(''),
  };
}

// ── systemd ─────────────────────────────────────────────────────────────────────────────────

const HOST_UNITS = '/usr/lib/systemd/system';

/**
 * Make `root` verifiable with `systemd-analyze verify --root`: the host's own system units
 * (targets such as sysinit.target), stub units for what the install script brings
 * (docker.service, tailscaled.service) and stub executables for every absolute `Exec*=` binary
 * the units name that is not already in the root (the root holds the rendered scripts, so those
 * are checked for real: present and executable).
 */
export async function prepareSystemdRoot(root: string, units: string[]): Promise<void> {
  await mkdir(join(root, 'usr/lib/systemd'), { recursive: true });
  if (!existsSync(join(root, HOST_UNITS))) await cp(HOST_UNITS, join(root, HOST_UNITS), { recursive: true, verbatimSymlinks: true });
  for (const [name, exec] of [
    ['docker.service', '/usr/bin/dockerd'],
    ['tailscaled.service', '/usr/sbin/tailscaled'],
  ]) {
    const p = join(root, HOST_UNITS, name);
    if (!existsSync(p)) await writeFile(p, `[Unit]\nDescription=stub ${name}\n[Service]\nExecStart=${exec}\n`);
    await stubExecutable(root, exec);
  }
  for (const unit of units) {
    const text = await readFile(join(root, 'etc/systemd/system', unit), 'utf8');
    for (const m of text.matchAll(/^Exec[A-Za-z]*=[-@:+!]*(\/\S+)/gm)) {
      if (!m[1].startsWith('/opt/') && !m[1].startsWith('/etc/')) await stubExecutable(root, m[1]);
    }
  }
}

async function stubExecutable(root: string, path: string): Promise<void> {
  const p = join(root, path);
  if (existsSync(p)) return;
  await mkdir(join(p, '..'), { recursive: true });
  await writeFile(p, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
}

/**
 * `systemd-analyze verify --root=ROOT --man=no UNIT…` for units in ROOT/etc/systemd/system.
 * systemd only warns (exit 0) about unknown keys or unparsable values, so any stderr line that
 * names one of the units or the root counts as a failure too.
 */
export async function systemdVerify(root: string, units: string[]): Promise<{ ok: boolean; result: ToolResult }> {
  await prepareSystemdRoot(root, units);
  const result = await run(['systemd-analyze', 'verify', `--root=${root}`, '--man=no', ...units], { cwd: join(root, 'etc/systemd/system') });
  const complaints = result.stderr.split('\n').filter((l) => l.trim() && (l.includes(root) || units.some((u) => l.includes(u))));
  return { ok: result.code === 0 && complaints.length === 0, result };
}

// ── compose-spec ────────────────────────────────────────────────────────────────────────────

let composeValidate: ((doc: unknown) => string[]) | undefined;

/**
 * Validate a parsed compose document against the vendored compose-spec JSON schema with a fresh
 * Ajv (independent of the renderer's own validator). Formats are compose-go's: Go durations,
 * port specs; values holding `${…}` pass (compose validates after interpolation).
 */
export function composeSpec(doc: unknown): string[] {
  if (!composeValidate) {
    const { $schema: _s, ...schema } = composeSpecJson as Record<string, unknown>;
    const ajv = new Ajv({ strict: false, allErrors: true });
    const interp = (s: string) => s.includes('$');
    ajv.addFormat('duration', { type: 'string', validate: (s: string) => interp(s) || /^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$/.test(s) });
    ajv.addFormat('ports', { type: 'string', validate: (s: string) => interp(s) || /^((\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/.test(s) });
    ajv.addFormat('expose', { type: 'string', validate: (s: string) => interp(s) || /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/.test(s) });
    ajv.addFormat('subnet_ip_address', { type: 'string', validate: (s: string) => interp(s) || /^[0-9a-fA-F.:]+\/\d{1,3}$/.test(s) });
    const validate = ajv.compile(schema);
    composeValidate = (d) => (validate(d) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`));
  }
  return composeValidate(doc);
}

// ── ufw ─────────────────────────────────────────────────────────────────────────────────────

/** A scratch ufw datadir: /etc/ufw, /lib/ufw and /etc/default/ufw copied (firewall disabled). */
export async function ufwDatadir(): Promise<string> {
  const d = await scratchDir('ufw');
  await cp('/etc/ufw', join(d, 'etc/ufw'), { recursive: true });
  await cp('/lib/ufw', join(d, 'lib/ufw'), { recursive: true });
  await mkdir(join(d, 'etc/default'), { recursive: true });
  await cp('/etc/default/ufw', join(d, 'etc/default/ufw'));
  const conf = join(d, 'etc/ufw/ufw.conf');
  await writeFile(conf, (await readFile(conf, 'utf8')).replace(/^ENABLED=.*$/m, 'ENABLED=no'));
  return d;
}

/**
 * Run shell lines that call `ufw` (verbatim from a rendered script) in `bash -e`, with `ufw`
 * redirected to the scratch datadir (`--dry-run` when `dryRun`), inside a fresh network
 * namespace so nothing can touch the host's firewall. `ufw` lines that enable the firewall run
 * only in dry-run mode.
 */
export async function ufwCheck(datadir: string, lines: string[], dryRun: boolean): Promise<ToolResult> {
  const fn = `ufw() { /usr/sbin/ufw --datadir=${datadir} ${dryRun ? '--dry-run ' : ''}"$@" 2> >(grep -v 'is world writable' >&2); }`;
  const body = lines.filter((l) => dryRun || !/--force enable|\benable\b/.test(l)).join('\n');
  return run(['unshare', '--net', 'bash', '-euo', 'pipefail', '-c', `${fn}\n${body}\n`]);
}

/** `ufw show added` for the scratch datadir. */
export function ufwShowAdded(datadir: string): Promise<ToolResult> {
  return run(['unshare', '--net', '/usr/sbin/ufw', `--datadir=${datadir}`, 'show', 'added']);
}

// ── fail2ban ────────────────────────────────────────────────────────────────────────────────

/** `fail2ban-client -c <scratch copy of /etc/fail2ban plus the jails> -t`. */
export async function fail2banTest(jails: { name: string; content: string }[]): Promise<{ ok: boolean; result: ToolResult }> {
  const d = await scratchDir('f2b');
  await cp('/etc/fail2ban', d, { recursive: true });
  for (const j of jails) await writeFile(join(d, 'jail.d', j.name), j.content);
  const result = await run(['fail2ban-client', '-c', d, '-t']);
  // fail2ban keeps going on a bad value ("Wrong value for 'maxretry'"), so warnings count, except
  // the distribution's own one about allowipv6.
  const warnings = result.stderr.split('\n').filter((l) => /WARNING|ERROR/.test(l) && !/'allowipv6' not defined/.test(l));
  return { ok: result.code === 0 && /configuration test is successful/.test(result.stdout + result.stderr) && warnings.length === 0, result };
}

// ── sshd ────────────────────────────────────────────────────────────────────────────────────

/**
 * `sshd -t -f` on a scratch sshd_config that includes the drop-ins the way Debian/Ubuntu do (at
 * the top, before a distribution default `PasswordAuthentication yes` and a cloud image's
 * `50-cloud-init.conf`), then `sshd -T` for the effective values. Runs in a private mount
 * namespace with its own /run/sshd (sshd refuses to start without it) and a scratch host key.
 */
export async function sshdTest(dropins: { name: string; content: string }[]): Promise<{ ok: boolean; effective: Record<string, string>; result: ToolResult }> {
  const d = await scratchDir('sshd');
  await mkdir(join(d, 'sshd_config.d'));
  for (const f of dropins) await writeFile(join(d, 'sshd_config.d', f.name), f.content);
  await writeFile(join(d, 'sshd_config.d', '50-cloud-init.conf'), 'PasswordAuthentication yes\n');
  const keygen = await run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', join(d, 'host_ed25519')]);
  if (keygen.code !== 0) throw new Error(report(keygen));
  const config = join(d, 'sshd_config');
  await writeFile(config, `Include ${d}/sshd_config.d/*.conf\nHostKey ${d}/host_ed25519\nPasswordAuthentication yes\nKbdInteractiveAuthentication yes\nPermitRootLogin yes\nUsePAM yes\n`);
  const script = 'mount -t tmpfs -o mode=0755 tmpfs /run && mkdir -m 0755 /run/sshd && /usr/sbin/sshd -t -f "$1" && /usr/sbin/sshd -T -f "$1" -C user=root,host=client.example,addr=198.51.100.7';
  const result = await run(['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', config]);
  const effective: Record<string, string> = {};
  for (const line of result.stdout.split('\n')) {
    const [k, ...v] = line.trim().split(/\s+/);
    if (k) effective[k.toLowerCase()] = v.join(' ');
  }
  return { ok: result.code === 0 && !result.stderr.trim(), effective, result };
}
