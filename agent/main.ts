/**
 * The Hangar agent: one file, bundled with esbuild to agent/dist/agent.mjs.
 *
 *   node agent.mjs --config /opt/hangar/config/bootstrap.json --state-dir /opt/hangar/config
 *
 * 1. Reads the bootstrap config (API URL + one-time token) written by cloud-init.
 * 2. Enrolls once (POST /v1/agents/enroll) and keeps its agent id and key in state.json (0600).
 * 3. Writes agent.env (AGENT_ID, SERVER_NAME, SERVER_ID, API_URL, NODE_ENV) and its workload files.
 * 4. Dials the hub over WebSocket, heartbeats, starts the workload, reports it healthy.
 * 5. Reconnects with jittered backoff; on a shutdown command stops the workload and exits.
 * 6. Asks for approved, signed releases on a timer and hands them to its supervisor to try.
 *
 * Without `--run` the file is the supervisor (agent/supervisor.ts): it runs the agent from the
 * committed release, restarts it, and tries, commits or rolls back new releases.
 */
import { AGENT_VERSION, runAgent } from './agent.ts';
import { runDemoService } from './demo-service.ts';
import { supervise } from './supervisor.ts';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

if (args.includes('--demo-service')) {
  runDemoService(Number(flag('--port') ?? 0));
} else {
  const config = flag('--config');
  const stateDir = flag('--state-dir');
  if (!config || !stateDir) {
    process.stderr.write('usage: agent.mjs --config <bootstrap.json> --state-dir <dir>\n');
    process.exit(2);
  }
  const main = args.includes('--run') ? runAgent({ configPath: config, stateDir }) : supervise({ configPath: config, stateDir, selfFile: process.argv[1], selfVersion: AGENT_VERSION });
  main.catch((err) => {
    process.stderr.write(`agent: fatal: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
