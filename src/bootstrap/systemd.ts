import { BOOTSTRAP_PATH, HANGAR_ROOT } from './types.ts';

/**
 * systemd units as text. Every unit is rendered from plain data through {@link renderUnit}, so
 * key order and spacing are stable (same input, same bytes).
 */

export interface UnitFile {
  /** Unit file name, e.g. `hangar-agent.service`. */
  name: string;
  content: string;
}

type Section = [name: string, entries: [key: string, value: string | number | undefined | false][]];

/**
 * Render unit sections; entries whose value is `undefined` or `false` are left out.
 *
 * @example
 * renderUnit('x', [['Service', [['Type', 'oneshot']]]]) // → '# x\n[Service]\nType=oneshot\n'
 */
export function renderUnit(comment: string, sections: Section[]): string {
  const out = comment ? comment.split('\n').map((l) => `# ${l}`.trimEnd()) : [];
  for (const [name, entries] of sections) {
    const lines = entries.filter(([, v]) => v !== undefined && v !== false).map(([k, v]) => `${k}=${v}`);
    if (!lines.length) continue;
    if (out.length) out.push('');
    out.push(`[${name}]`, ...lines);
  }
  return `${out.join('\n')}\n`;
}

/** Sandboxing every Hangar-rendered service gets, whatever user it runs as. */
const COMMON_HARDENING: [string, string][] = [
  ['NoNewPrivileges', 'yes'],
  ['PrivateTmp', 'yes'],
  ['ProtectKernelLogs', 'yes'],
  ['RestrictSUIDSGID', 'yes'],
  ['RestrictRealtime', 'yes'],
  ['LockPersonality', 'yes'],
];

export const AGENT_UNIT_NAME = 'hangar-agent.service';
export const AGENT_BUNDLE_PATH = `${HANGAR_ROOT}/agent/agent.mjs`;
export const AGENT_ENV_PATH = `${HANGAR_ROOT}/config/agent.env`;
const AGENT_STATE_DIR = `${HANGAR_ROOT}/config`;
/** The install script's log, which the agent forwards (`HANGAR_BOOTSTRAP_LOG`). */
export const AGENT_BOOTSTRAP_LOG = `${HANGAR_ROOT}/logs/install.log`;

/**
 * The agent's unit. The agent runs as root: it writes workload units and env files, runs
 * `systemctl`, `docker compose`, `tailscale up|serve` and `ufw`, none of which a sandboxed user
 * could do; the sandbox keeps what does not get in the way of that (no new privileges, private
 * /tmp, no kernel-log access, no SUID files, umask 077 so every file it writes is private).
 *
 * @example
 * renderAgentUnit().content.includes('Restart=always') // → true
 */
export function renderAgentUnit(): UnitFile {
  return {
    name: AGENT_UNIT_NAME,
    content: renderUnit('Managed by Hangar: the on-server agent that enrolls, dials home and runs the workload.', [
      [
        'Unit',
        [
          ['Description', 'Hangar agent'],
          ['Wants', 'network-online.target'],
          ['After', 'network-online.target tailscaled.service docker.service'],
          ['StartLimitIntervalSec', 0],
        ],
      ],
      [
        'Service',
        [
          ['Type', 'simple'],
          ['ExecStart', `/usr/bin/node ${AGENT_BUNDLE_PATH} --config ${BOOTSTRAP_PATH} --state-dir ${AGENT_STATE_DIR}`],
          ['EnvironmentFile', `-${AGENT_ENV_PATH}`],
          ['Environment', `HANGAR_BOOTSTRAP_LOG=${AGENT_BOOTSTRAP_LOG}`],
          ['WorkingDirectory', `${HANGAR_ROOT}/agent`],
          ['Restart', 'always'],
          ['RestartSec', 5],
          ['UMask', '0077'],
          ['SyslogIdentifier', 'hangar-agent'],
          ...COMMON_HARDENING,
        ],
      ],
      ['Install', [['WantedBy', 'multi-user.target']]],
    ]),
  };
}

export interface OpenclawUnitOptions {
  /** npm version spec, e.g. `latest` or `2026.9.3`. */
  version: string;
  port: number;
  /** The `openclaw` user's home, e.g. `/var/lib/openclaw`. */
  home: string;
  /** npm `--prefix` for the global install, inside `home`. */
  npmPrefix: string;
  /** 0600 env file with `OPENCLAW_GATEWAY_TOKEN` and provider keys. */
  envFile: string;
}

export const OPENCLAW_INSTALL_UNIT = 'openclaw-install.service';
export const OPENCLAW_GATEWAY_UNIT = 'openclaw-gateway.service';

/**
 * Two units for OpenClaw: a oneshot that installs (or updates) the npm package under the
 * `openclaw` user's own prefix, and the gateway service, bound to loopback with token auth (the
 * token comes from `OPENCLAW_GATEWAY_TOKEN` in the env file; `tailscale serve` publishes it).
 * `--allow-unconfigured` lets the gateway start without an `openclaw.json` that says
 * `gateway.mode=local`, and leaves any config the user writes later untouched.
 *
 * @example
 * renderOpenclawUnits(opts).map((u) => u.name) // → ['openclaw-install.service', 'openclaw-gateway.service']
 */
export function renderOpenclawUnits(o: OpenclawUnitOptions): UnitFile[] {
  const sandbox: [string, string][] = [
    ...COMMON_HARDENING,
    ['ProtectSystem', 'strict'],
    ['ProtectHome', 'yes'],
    ['ReadWritePaths', o.home],
    ['PrivateDevices', 'yes'],
    ['ProtectClock', 'yes'],
    ['ProtectKernelTunables', 'yes'],
    ['ProtectKernelModules', 'yes'],
    ['ProtectControlGroups', 'yes'],
    ['RestrictNamespaces', 'yes'],
  ];
  const install = renderUnit('Managed by Hangar: install or update OpenClaw from npm for the openclaw user.', [
    ['Unit', [['Description', 'Install OpenClaw (npm)'], ['Wants', 'network-online.target'], ['After', 'network-online.target']]],
    [
      'Service',
      [
        ['Type', 'oneshot'],
        ['User', 'openclaw'],
        ['Group', 'openclaw'],
        ['WorkingDirectory', o.home],
        ['Environment', `HOME=${o.home} NODE_ENV=production`],
        ['ExecStart', `/usr/bin/npm install --global --prefix ${o.npmPrefix} --no-audit --no-fund --omit=dev openclaw@${o.version}`],
        ['TimeoutStartSec', 900],
        ...sandbox,
      ],
    ],
  ]);
  const gateway = renderUnit('Managed by Hangar: the OpenClaw gateway, loopback only; tailscale serve publishes it to the tailnet.', [
    [
      'Unit',
      [
        ['Description', 'OpenClaw gateway'],
        ['Wants', 'network-online.target'],
        ['After', `network-online.target ${OPENCLAW_INSTALL_UNIT}`],
        ['StartLimitIntervalSec', 0],
      ],
    ],
    [
      'Service',
      [
        ['Type', 'simple'],
        ['User', 'openclaw'],
        ['Group', 'openclaw'],
        ['WorkingDirectory', o.home],
        ['Environment', `HOME=${o.home} NODE_ENV=production`],
        ['EnvironmentFile', o.envFile],
        ['ExecStart', `${o.npmPrefix}/bin/openclaw gateway run --port ${o.port} --bind loopback --auth token --allow-unconfigured`],
        ['Restart', 'always'],
        ['RestartSec', 5],
        ['SyslogIdentifier', 'openclaw-gateway'],
        ...sandbox,
      ],
    ],
    ['Install', [['WantedBy', 'multi-user.target']]],
  ]);
  return [
    { name: OPENCLAW_INSTALL_UNIT, content: install },
    { name: OPENCLAW_GATEWAY_UNIT, content: gateway },
  ];
}

export interface StackUnitOptions {
  /** Stack name: unit prefix and `/opt/<name>`. */
  name: string;
  /** Project directory, e.g. `/opt/ai-ops-runner`. */
  dir: string;
  /** argv prefix of `docker compose` for this stack (absolute binary first). */
  compose: string[];
  /** Build images from source on `up` (the stack has `build:` sections). */
  build?: boolean;
  updateScript: string;
  smokeScript: string;
  /** `OnCalendar=` of the update timer (default every 15 minutes). */
  updateCalendar?: string;
  /** `OnCalendar=` of the smoke timer (default daily 06:00 UTC). */
  smokeCalendar?: string;
}

/** Default schedules of seed 004. */
const UPDATE_CALENDAR = '*:0/15';
const SMOKE_CALENDAR = '*-*-* 06:00:00 UTC';

/**
 * The runner-stack units of seed 004: `<name>.service` (oneshot, RemainAfterExit: the compose
 * stack; `reload` re-applies the compose file without stopping anything), `<name>-update.service`
 * + `.timer` (every 15 min) and `<name>-smoke.service` + `.timer` (daily 06:00 UTC). Scripts log
 * under `/var/log/<name>/` (`LogsDirectory=`).
 *
 * @example
 * renderStackUnits({ name: 'ai-ops-runner', … }).map((u) => u.name)
 * // → ['ai-ops-runner.service', 'ai-ops-runner-update.service', 'ai-ops-runner-update.timer', …]
 */
export function renderStackUnits(o: StackUnitOptions): UnitFile[] {
  const compose = o.compose.join(' ');
  const up = `${compose} up --detach --remove-orphans${o.build ? ' --build' : ''} --wait --wait-timeout 600`;
  const unitSection = (d: string): Section => [
    'Unit',
    [
      ['Description', d],
      ['Requires', 'docker.service'],
      ['Wants', 'network-online.target'],
      ['After', 'docker.service network-online.target'],
    ],
  ];
  const main = renderUnit(`Managed by Hangar: the ${o.name} compose stack.`, [
    unitSection(`${o.name} compose stack`),
    [
      'Service',
      [
        ['Type', 'oneshot'],
        ['RemainAfterExit', 'yes'],
        ['WorkingDirectory', o.dir],
        ['ExecStart', up],
        ['ExecReload', up],
        ['ExecStop', `${compose} down`],
        ['TimeoutStartSec', 1200],
      ],
    ],
    ['Install', [['WantedBy', 'multi-user.target']]],
  ]);
  const oneshot = (desc: string, exec: string) =>
    renderUnit(`Managed by Hangar: ${desc}.`, [
      unitSection(desc),
      [
        'Service',
        [
          ['Type', 'oneshot'],
          ['WorkingDirectory', o.dir],
          ['ExecStart', exec],
          ['TimeoutStartSec', 1800],
          ['LogsDirectory', o.name],
          ['PrivateTmp', 'yes'],
          ['NoNewPrivileges', 'yes'],
        ],
      ],
    ]);
  const timer = (desc: string, calendar: string, unit: string) =>
    renderUnit(`Managed by Hangar: ${desc}.`, [
      ['Unit', [['Description', desc]]],
      ['Timer', [['OnCalendar', calendar], ['Persistent', 'true'], ['RandomizedDelaySec', 30], ['Unit', unit]]],
      ['Install', [['WantedBy', 'timers.target']]],
    ]);
  return [
    { name: `${o.name}.service`, content: main },
    { name: `${o.name}-update.service`, content: oneshot(`${o.name} review-gated self-update`, o.updateScript) },
    { name: `${o.name}-update.timer`, content: timer(`${o.name} self-update every 15 minutes`, o.updateCalendar ?? UPDATE_CALENDAR, `${o.name}-update.service`) },
    { name: `${o.name}-smoke.service`, content: oneshot(`${o.name} smoke test`, o.smokeScript) },
    { name: `${o.name}-smoke.timer`, content: timer(`${o.name} smoke test daily at 06:00 UTC`, o.smokeCalendar ?? SMOKE_CALENDAR, `${o.name}-smoke.service`) },
  ];
}
