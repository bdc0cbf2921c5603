/**
 * `npm run chaos` — the full chaos run: CHAOS_KILLS (default 100) SIGKILLs of Hangar at seeded
 * moments while instances are provisioned and destroyed; prints the figures and exits 1 if any
 * promise broke. CHAOS_SEED picks the run; DATABASE_URL runs it on PostgreSQL.
 * CHAOS_PROVIDER=local|hetzner|digital-ocean (default local) picks where servers are made: the
 * cloud ones run against the in-process emulators (plus the Tailscale emulator); CHAOS_FAULTS=1
 * makes the emulated cloud inject 20% 5xx (half of them lost responses), 10% 429s and latency.
 */
import { DEFAULT_CHAOS_FAULTS, runChaos, type ChaosProvider } from '../test/chaos/chaos.ts';

const kills = Number(process.env.CHAOS_KILLS ?? 100);
const seed = Number(process.env.CHAOS_SEED ?? 1);
const provider = (process.env.CHAOS_PROVIDER || 'local') as ChaosProvider;
if (!['local', 'hetzner', 'digital-ocean'].includes(provider)) throw new Error(`CHAOS_PROVIDER must be local, hetzner or digital-ocean, not ${provider}`);
const faulty = ['1', 'true', 'yes', 'on'].includes((process.env.CHAOS_FAULTS ?? '').toLowerCase());
if (faulty && provider === 'local') throw new Error('CHAOS_FAULTS needs CHAOS_PROVIDER=hetzner or digital-ocean');
const r = await runChaos({
  kills,
  seed,
  provider,
  ...(faulty ? { faults: DEFAULT_CHAOS_FAULTS } : {}),
  databaseUrl: process.env.DATABASE_URL || undefined,
  log: (l) => process.stderr.write(`${l}\n`),
});
console.log(`hangar chaos: seed ${seed}, ${provider}${faulty ? ` with faults ${JSON.stringify(DEFAULT_CHAOS_FAULTS)}` : ''}, ${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}, ${r.seconds}s`);
console.log(`  kills survived: ${r.kills}`);
console.log(`  instances:      ${r.instances}`);
console.log(`  duplicates:     ${r.duplicates}`);
console.log(`  leaks:          ${r.leaks}`);
console.log(`  stuck:          ${r.stuck}`);
console.log(`  stalled:        ${r.stalled} (non-terminal past the timeout until the reconciler pass)`);
console.log(`  illegal paths:  ${r.illegalPaths}`);
if (r.cloud) console.log(`  ${r.cloud}`);
for (const p of r.problems) console.log(`  ! ${p}`);
process.exit(r.duplicates + r.leaks + r.stuck + r.stalled + r.illegalPaths === 0 ? 0 : 1);
