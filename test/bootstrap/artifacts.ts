/**
 * Materialises what a server would get, so the real tools can judge it: for each case, a scratch
 * "server root" holding every file cloud-init writes (`write_files`), every file the rendered
 * install script writes (`install.sh --files-only ROOT`, i.e. the script itself runs) and every
 * file of the workload plan, at their absolute paths, with their modes.
 */
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { parse } from 'yaml';
import { renderBootstrapFiles } from '../../src/bootstrap/install-files.ts';
import { INSTALL_SCRIPT_PATH } from '../../src/bootstrap/install-script.ts';
import type { InstallScriptInput, WorkloadPlan } from '../../src/bootstrap/types.ts';
import { scratchDir } from '../tools/judges.ts';

const exec = promisify(execFile);

export interface Case {
  label: string;
  userData: string;
  plan?: WorkloadPlan;
  /** Lay out the install script's files by running it (`install.sh --files-only ROOT`); otherwise
   * they are written from `renderBootstrapFiles(install)`, which the script's own unit test shows
   * to be byte-identical (and this module checks again on every executed case). */
  install?: InstallScriptInput;
  execute?: boolean;
}

export interface Server {
  label: string;
  root: string;
  userDataFile: string;
  /** Every bash script (by shebang) under the root, absolute on the host. */
  scripts: string[];
  /** Unit file names in root/etc/systemd/system. */
  units: string[];
  /** Compose files (host paths). */
  composeFiles: string[];
  /** Env files written 0600 or 0644 that bash/systemd/compose read (host paths). */
  envFiles: string[];
  /** Files and their modes as the server would have them (server path → mode). */
  modes: Map<string, string>;
  plan?: WorkloadPlan;
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Build one server root for a case (see the module doc). */
export async function materialise(c: Case, base: string): Promise<Server> {
  const root = join(base, c.label.replace(/[^A-Za-z0-9_.-]+/g, '_'));
  await mkdir(root, { recursive: true });
  const userDataFile = `${root}.user-data.yaml`;
  await writeFile(userDataFile, c.userData);
  const modes = new Map<string, string>();
  const doc = parse(c.userData) as { write_files?: { path: string; content: string; permissions: string }[] };
  for (const f of doc.write_files ?? []) {
    await mkdir(join(root, dirname(f.path)), { recursive: true });
    await writeFile(join(root, f.path), f.content);
    await chmod(join(root, f.path), parseInt(f.permissions, 8));
    modes.set(f.path, f.permissions);
  }
  const install = join(root, INSTALL_SCRIPT_PATH);
  if (c.execute || !c.install) {
    const { stdout } = await exec('bash', [install, '--files-only', root]);
    for (const line of stdout.split('\n')) {
      const m = /^wrote (\S+)/.exec(line);
      if (m) modes.set(m[1], (statSync(join(root, m[1])).mode & 0o777).toString(8).padStart(4, '0'));
    }
  }
  if (c.install) {
    for (const f of renderBootstrapFiles(c.install)) {
      const p = join(root, f.path);
      if (c.execute || !c.install) {
        // The script wrote it: it must be what the renderer says.
        expect(await readFile(p, 'utf8'), `${c.label}: ${f.path} as install.sh wrote it`).toBe(f.content);
        expect(modes.get(f.path)).toBe(f.mode);
        continue;
      }
      await mkdir(dirname(p), { recursive: true });
      await writeFile(p, f.content);
      await chmod(p, parseInt(f.mode, 8));
      modes.set(f.path, f.mode);
    }
  }
  for (const f of c.plan?.files ?? []) {
    await mkdir(join(root, dirname(f.path)), { recursive: true });
    await writeFile(join(root, f.path), f.content);
    await chmod(join(root, f.path), parseInt(f.mode, 8));
    modes.set(f.path, f.mode);
  }
  const files = await walk(root);
  const scripts: string[] = [];
  const composeFiles: string[] = [];
  const envFiles: string[] = [];
  for (const f of files) {
    const head = (await readFile(f, 'utf8')).slice(0, 64);
    if (head.startsWith('#!/bin/bash')) scripts.push(f);
    if (/docker-compose\.ya?ml$/.test(f)) composeFiles.push(f);
    if (/(\.env|\/env)$/.test(f)) envFiles.push(f);
  }
  let units: string[] = [];
  try {
    units = (await readdir(join(root, 'etc/systemd/system'))).filter((n) => /\.(service|timer)$/.test(n)).sort();
  } catch {
    units = [];
  }
  return { label: c.label, root, userDataFile, scripts: scripts.sort(), units, composeFiles, envFiles, modes, plan: c.plan };
}

/** Materialise many cases under one scratch directory. */
export async function materialiseAll(cases: Case[], tag: string): Promise<Server[]> {
  const base = await scratchDir(tag);
  const out: Server[] = [];
  for (const c of cases) out.push(await materialise(c, base));
  return out;
}

/** `ufw …` lines of a script, verbatim (those that are whole commands, not inside an `if`). */
export function ufwLines(script: string): string[] {
  return script
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^ufw /.test(l));
}
