/**
 * `npm start`: run Hangar in one process. Embedded default: PGlite under ./.hangar and the
 * local provider; set DATABASE_URL for PostgreSQL. Flags override env (see src/config.ts).
 */
import { Command } from 'commander';
import { configFromEnv } from './config.ts';
import { startHangar } from './server.ts';
import { adminKeyBanner, firstProvider, recoveryHint } from './admin-key.ts';

const program = new Command('hangar-server')
  .description('Start the Hangar control plane')
  .option('--host <host>', 'listen address (HANGAR_HOST)')
  .option('--port <port>', 'listen port (HANGAR_PORT)', (v) => Number(v))
  .option('--data-dir <dir>', 'data directory (HANGAR_DATA_DIR)')
  .option('--public-url <url>', 'URL agents dial (HANGAR_PUBLIC_URL)')
  .option('--database-url <url>', 'PostgreSQL URL (DATABASE_URL); default: embedded PGlite')
  .parse();
const o = program.opts<{ host?: string; port?: number; dataDir?: string; publicUrl?: string; databaseUrl?: string }>();

let config;
try {
  config = configFromEnv(process.env, Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)));
} catch (err) {
  process.stderr.write(`hangar: ${(err as Error).message}\n`);
  process.exit(2);
}

try {
  const hangar = await startHangar(config);
  const db = config.databaseUrl ? 'PostgreSQL' : `PGlite in ${config.dataDir}`;
  process.stdout.write(`\nHangar is running at ${hangar.url}  (database: ${db}; providers: ${[...hangar.engine.providers.keys()].join(', ')})\n`);
  if (hangar.firstApiKey) process.stdout.write(adminKeyBanner(hangar.firstApiKey, hangar.url, config.dataDir, process.stdout.isTTY === true, firstProvider([...hangar.engine.providers.keys()])));
  process.stdout.write(`${recoveryHint(config.dataDir, Boolean(config.databaseUrl))}\n`);
  const shutdown = async (sig: string) => {
    hangar.log.info({ sig }, 'shutting down');
    // Work in flight is durable (its job is retried elsewhere or at the next start): never hang.
    setTimeout(() => process.exit(0), 10_000).unref();
    await hangar.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
} catch (err) {
  process.stderr.write(`hangar: ${(err as Error).message}\n`);
  process.exit(1);
}
