import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { verifyRelease } from '../src/domain/releases.ts';
import type { AgentMessage } from '../src/hub/protocol.ts';
import { readPointer, releaseFile, writePointer, type Slot } from './release-files.ts';

type UpdateReport = Omit<Extract<AgentMessage, { type: 'update' }>, 'type'>;

export interface UpdateContext {
  stateDir: string;
  /** The control plane's HTTP base URL (agent.env's API_URL). */
  apiUrl: string;
  /** `Bearer <agentId>:<agentKey>`. */
  authorization: string;
  /** The version running now. */
  version: string;
  /** Release keys pinned at enrollment. */
  keys: readonly string[];
  /** How long the new release has to prove itself healthy. */
  trialSeconds: number;
  /** Whether a supervisor will run the staged release (without one, updates are refused). */
  supervised: boolean;
  report: (r: UpdateReport) => void;
  log: (line: string) => void;
}

/** The largest bundle an agent downloads. */
const MAX_BUNDLE = 64 * 1024 * 1024;

/**
 * One update check: ask the control plane for the release this agent should run; if there is
 * one, download it, verify its checksum and signature against the pinned keys (fail closed) and
 * stage it as the trial in releases/pointer.json. The caller then exits with UPDATE_EXIT_CODE
 * for the supervisor to run it. Returns the staged release, or null with the reason.
 *
 * @example
 * const r = await checkForUpdate(ctx);
 * if (r.staged) exitForUpdate();
 */
export async function checkForUpdate(ctx: UpdateContext): Promise<{ staged: Slot | null; detail: string }> {
  const pointer = await readPointer(ctx.stateDir);
  const q = new URLSearchParams({ version: ctx.version, refused: pointer.refused.join(',') });
  const res = await fetch(`${ctx.apiUrl}/v1/agents/update?${q}`, { headers: { authorization: ctx.authorization }, signal: AbortSignal.timeout(30_000) });
  if (res.status === 204) return { staged: null, detail: `up to date (${ctx.version})` };
  if (!res.ok) return { staged: null, detail: `update check failed: HTTP ${res.status}` };
  const offer = (await res.json()) as { version: string; sha256: string; signature: string; size: number; url: string };
  const from = ctx.version;
  if (pointer.refused.includes(offer.version)) return { staged: null, detail: `${offer.version} was refused here before` };
  ctx.report({ phase: 'available', version: offer.version, from, detail: `${offer.size} bytes, sha256 ${offer.sha256.slice(0, 12)}…` });
  const refuse = async (detail: string) => {
    ctx.log(`update to ${offer.version} refused: ${detail}`);
    ctx.report({ phase: 'refused', version: offer.version, from, detail });
    const p = await readPointer(ctx.stateDir);
    await writePointer(ctx.stateDir, { ...p, refused: [...new Set([...p.refused, offer.version])] });
    return { staged: null, detail };
  };
  if (!ctx.supervised) return refuse('no supervisor runs this agent, so a new release could not be tried and rolled back');
  if (offer.size > MAX_BUNDLE) return refuse(`bundle of ${offer.size} bytes exceeds ${MAX_BUNDLE}`);
  const dl = await fetch(offer.url, { headers: { authorization: ctx.authorization }, signal: AbortSignal.timeout(120_000) });
  if (!dl.ok) return { staged: null, detail: `download of ${offer.version} failed: HTTP ${dl.status}` };
  const bundle = Buffer.from(await dl.arrayBuffer());
  const problem = verifyRelease({ version: offer.version, bundle, sha256: offer.sha256, signature: offer.signature }, ctx.keys);
  if (problem) return refuse(problem);
  const file = releaseFile(ctx.stateDir, offer.version);
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, bundle, { mode: 0o600 });
  ctx.report({ phase: 'downloaded', version: offer.version, from, detail: `signature verified; ${ctx.trialSeconds} s to prove itself healthy` });
  const slot: Slot = { version: offer.version, file, sha256: offer.sha256, signature: offer.signature };
  const p = await readPointer(ctx.stateDir);
  await writePointer(ctx.stateDir, { ...p, trial: { ...slot, previous: p.current, deadline: Date.now() + ctx.trialSeconds * 1000 } });
  return { staged: slot, detail: `staged ${offer.version}` };
}
