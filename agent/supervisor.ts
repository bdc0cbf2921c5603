import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { verifyRelease } from '../src/domain/releases.ts';
import type { Enrollment } from '../src/domain/agent-contract.ts';
import { appendOutcome, readPointer, readStatus, RESTART_EXIT_CODE, UPDATE_EXIT_CODE, writePointer, type Pointer, type Slot } from './release-files.ts';
import { Workload } from './workload.ts';

/**
 * The supervisor: what `agent.mjs --config … --state-dir …` runs. It is the bundle installed at
 * bootstrap and never replaces itself, so it stays the trusted judge of updates. It runs the
 * agent (`--run`) from the committed release (or its own bundle), restarts it on exit code 75
 * and after crashes (with backoff), and exits when the agent exits 0 (shutdown, revoked).
 *
 * When the agent staged an update and exited 76, the supervisor verifies the staged bundle
 * again (checksum and ed25519 signature against the keys pinned at enrollment), runs it on
 * trial, and commits it only once the new agent reports itself connected with a healthy
 * workload *and* the supervisor's own probe of the workload agrees, before the deadline. A
 * trial that exits, hangs or stays unhealthy is killed and the previous release runs again;
 * every decision goes to releases/outcomes.jsonl, which the next agent reports as events.
 */
export async function supervise(opts: { configPath: string; stateDir: string; selfFile: string; selfVersion: string; log?: (line: string) => void }): Promise<never> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${new Date().toISOString()} [supervisor] ${l}\n`));
  const base: Slot = { version: opts.selfVersion, file: opts.selfFile, sha256: '', signature: '' };
  let child: ChildProcess | null = null;
  let stopping = false;
  let crashes = 0;

  const stop = async () => {
    if (stopping) return;
    stopping = true;
    if (child) await kill(child, 10_000);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());

  for (;;) {
    const pointer = await readPointer(opts.stateDir);
    const state = await enrollment(opts.stateDir);
    const keys = state?.releaseKeys ?? [];
    const trial = pointer.trial;
    const slot: Slot = trial ?? pointer.current ?? base;
    if (slot !== base) {
      const problem = await verifySlot(slot, keys);
      if (problem) {
        log(`release ${slot.version} refused: ${problem}`);
        await appendOutcome(opts.stateDir, { phase: 'refused', version: slot.version, from: trial ? (trial.previous?.version ?? base.version) : base.version, detail: problem });
        await writePointer(opts.stateDir, { current: trial ? pointer.current : null, trial: null, refused: [...new Set([...pointer.refused, slot.version])] });
        continue;
      }
    }
    const started = Date.now();
    child = spawn(process.execPath, [slot.file, '--run', '--config', opts.configPath, '--state-dir', opts.stateDir], {
      stdio: 'inherit',
      env: { ...process.env, HANGAR_SUPERVISED: '1', HANGAR_SUPERVISOR_PID: String(process.pid) },
    });
    const exited = new Promise<number>((resolve) => child!.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
    log(`agent ${slot.version} started (pid ${child.pid})${trial ? ' on trial' : ''}`);

    if (trial) {
      const verdict = await judgeTrial(opts.stateDir, child, exited, trial, state?.workload ? new Workload(state.workload, () => {}) : null);
      if (stopping) return new Promise<never>(() => {});
      if (verdict.ok) {
        log(`release ${trial.version} committed: ${verdict.detail}`);
        await writePointer(opts.stateDir, { current: slotOf(trial), trial: null, refused: pointer.refused });
        await appendOutcome(opts.stateDir, { phase: 'committed', version: trial.version, from: trial.previous?.version ?? base.version, detail: verdict.detail });
        await prune(opts.stateDir, [trial.version, trial.previous?.version]);
      } else {
        log(`release ${trial.version} rolled back: ${verdict.detail}`);
        await kill(child, 5_000);
        await writePointer(opts.stateDir, { current: trial.previous, trial: null, refused: [...new Set([...pointer.refused, trial.version])] });
        await appendOutcome(opts.stateDir, { phase: 'rolled-back', version: trial.version, from: trial.previous?.version ?? base.version, detail: verdict.detail });
        continue;
      }
    }

    const code = await exited;
    child = null;
    if (stopping) return new Promise<never>(() => {});
    if (code === 0) {
      log('agent exited 0: stopping');
      process.exit(0);
    }
    if (code === RESTART_EXIT_CODE || code === UPDATE_EXIT_CODE) {
      crashes = 0;
      continue;
    }
    crashes = Date.now() - started > 60_000 ? 1 : crashes + 1;
    const delay = Math.min(30_000, 1000 * 2 ** (crashes - 1));
    log(`agent ${slot.version} exited with code ${code}; restarting in ${delay} ms`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** Wait for a trial agent to prove itself: connected, workload healthy, and our own probe agrees. */
async function judgeTrial(stateDir: string, child: ChildProcess, exited: Promise<number>, trial: NonNullable<Pointer['trial']>, workload: Workload | null): Promise<{ ok: boolean; detail: string }> {
  let code: number | null = null;
  void exited.then((c) => (code = c));
  let last = 'it never reported its status';
  while (Date.now() < trial.deadline) {
    await new Promise((r) => setTimeout(r, 250));
    if (code !== null) return { ok: false, detail: `${trial.version} exited with code ${code} before it was healthy (${last})` };
    const s = await readStatus(stateDir);
    if (!s || s.pid !== child.pid || s.version !== trial.version) continue;
    if (!s.connected) {
      last = 'not connected to the control plane';
      continue;
    }
    if (s.workloadHealthy !== true) {
      last = `workload not healthy${s.detail ? `: ${s.detail}` : ''}`;
      continue;
    }
    if (workload && s.health) {
      workload.health = s.health;
      const own = await workload.check();
      if (!own.healthy) {
        last = `the supervisor's own workload check failed: ${own.detail}`;
        continue;
      }
      return { ok: true, detail: `connected, workload healthy (${own.detail})` };
    }
    return { ok: true, detail: 'connected, workload healthy' };
  }
  return { ok: false, detail: `${trial.version} not healthy by its deadline: ${last}` };
}

async function verifySlot(slot: Slot, keys: string[]): Promise<string | null> {
  let bundle: Buffer;
  try {
    bundle = await readFile(slot.file);
  } catch {
    return `bundle ${slot.file} is missing`;
  }
  return verifyRelease({ version: slot.version, bundle, sha256: slot.sha256, signature: slot.signature }, keys);
}

/** The agent's enrollment (state.json), or null before it enrolled. */
async function enrollment(stateDir: string): Promise<Partial<Enrollment> | null> {
  try {
    return JSON.parse(await readFile(join(stateDir, 'state.json'), 'utf8')) as Partial<Enrollment>;
  } catch {
    return null;
  }
}

const slotOf = (t: NonNullable<Pointer['trial']>): Slot => ({ version: t.version, file: t.file, sha256: t.sha256, signature: t.signature });

/** SIGTERM, then SIGKILL after `graceMs`. */
async function kill(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}

/** Keep only the releases still useful (the current and the previous one). */
async function prune(stateDir: string, keep: (string | undefined)[]): Promise<void> {
  const dir = join(stateDir, 'releases');
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory() && !keep.includes(e.name)) await rm(join(dir, e.name), { recursive: true, force: true });
  }
}
