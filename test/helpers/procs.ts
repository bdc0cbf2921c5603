import { readdirSync, readFileSync } from 'node:fs';

/** Live processes whose command line contains every given fragment (read from /proc). */
export function processesMatching(...fragments: string[]): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').join(' ');
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (/\) Z /.test(stat)) continue; // zombies are dead
      if (fragments.every((f) => cmd.includes(f))) out.push({ pid: Number(d), cmd });
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/**
 * The agents installed under a remote root `root` (as the `ssh` provider starts them): the
 * process started as `node <root>/agent/agent.mjs --config …` (the supervisor; the agent it runs
 * with `--run` is not counted).
 */
export function agentsUnder(root: string): { pid: number; cmd: string }[] {
  return processesMatching(`${root}/agent/agent.mjs --config`);
}

/**
 * SIGKILL every process whose command line contains the fragments, with its process group when
 * it leads one (a local server's supervisor does): killing the agent alone would leave its
 * workload (`--demo-service`, whose command line names no state dir) running after the test.
 *
 * @example
 * killMatching('agent.mjs', dataDir);
 */
export function killMatching(...fragments: string[]): void {
  for (const p of processesMatching(...fragments)) {
    for (const target of [-p.pid, p.pid]) {
      try {
        process.kill(target, 'SIGKILL');
        break;
      } catch {
        /* not a group leader, or gone */
      }
    }
  }
}
