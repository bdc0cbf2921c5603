import { appendFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HealthCheck } from '../src/domain/agent-contract.ts';

/**
 * The files the agent and its supervisor share in the state dir:
 *
 *   releases/pointer.json     which release runs (current), which is on trial, which were refused
 *   releases/<v>/agent.mjs    a verified release bundle
 *   releases/outcomes.jsonl   what the supervisor decided (committed, rolled back, refused),
 *                             reported as events by the next agent that connects
 *   run/status.json           the running agent's own view: version, connected, workload health
 */

/** Exit codes between the agent and its supervisor. */
export const RESTART_EXIT_CODE = 75;
export const UPDATE_EXIT_CODE = 76;

export interface Slot {
  version: string;
  file: string;
  sha256: string;
  signature: string;
}

export interface Pointer {
  /** The committed release; null = the bundle installed at bootstrap. */
  current: Slot | null;
  /** A release being tried: it must be healthy before `deadline` (epoch ms) or it is rolled back. */
  trial: (Slot & { previous: Slot | null; deadline: number }) | null;
  /** Versions refused or rolled back here: never tried again. */
  refused: string[];
}

export interface Outcome {
  phase: 'committed' | 'rolled-back' | 'refused';
  version: string;
  from: string | null;
  detail: string;
  at: string;
}

export interface RunStatus {
  pid: number;
  version: string;
  connected: boolean;
  workloadHealthy: boolean | null;
  detail: string | null;
  /** The workload's health check as resolved at run time (e.g. its port), for the supervisor to repeat. */
  health: HealthCheck | null;
  at: number;
}

const dir = (stateDir: string) => join(stateDir, 'releases');

export const releaseFile = (stateDir: string, version: string) => join(dir(stateDir), version, 'agent.mjs');

export async function readPointer(stateDir: string): Promise<Pointer> {
  try {
    const p = JSON.parse(await readFile(join(dir(stateDir), 'pointer.json'), 'utf8')) as Partial<Pointer>;
    return { current: p.current ?? null, trial: p.trial ?? null, refused: p.refused ?? [] };
  } catch {
    return { current: null, trial: null, refused: [] };
  }
}

/** Replace the pointer atomically (write + rename). */
export async function writePointer(stateDir: string, p: Pointer): Promise<void> {
  await atomicWrite(join(dir(stateDir), 'pointer.json'), JSON.stringify(p));
}

export async function appendOutcome(stateDir: string, o: Omit<Outcome, 'at'>): Promise<void> {
  await mkdir(dir(stateDir), { recursive: true, mode: 0o700 });
  await appendFile(join(dir(stateDir), 'outcomes.jsonl'), `${JSON.stringify({ ...o, at: new Date().toISOString() })}\n`, { mode: 0o600 });
}

/** Take the outcomes not yet reported (the file is emptied). */
export async function takeOutcomes(stateDir: string): Promise<Outcome[]> {
  const p = join(dir(stateDir), 'outcomes.jsonl');
  const taken = `${p}.${process.pid}.taking`;
  try {
    await rename(p, taken);
  } catch {
    return [];
  }
  const text = await readFile(taken, 'utf8').catch(() => '');
  await rm(taken, { force: true });
  return text
    .split('\n')
    .filter(Boolean)
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Outcome];
      } catch {
        return [];
      }
    });
}

export async function writeStatus(stateDir: string, s: RunStatus): Promise<void> {
  await atomicWrite(join(stateDir, 'run', 'status.json'), JSON.stringify(s));
}

export async function readStatus(stateDir: string): Promise<RunStatus | null> {
  try {
    return JSON.parse(await readFile(join(stateDir, 'run', 'status.json'), 'utf8')) as RunStatus;
  } catch {
    return null;
  }
}

async function atomicWrite(path: string, text: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode: 0o600 });
  await rename(tmp, path);
}
