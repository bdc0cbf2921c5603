import { z } from 'zod';
import { RELEASE_VERSION } from '../domain/releases.ts';
import { storableText } from './text.ts';

/**
 * The routes' query strings and small bodies, one schema each: the routes parse with them and the
 * OpenAPI document is generated from them, so the two cannot drift. Free text refuses NUL bytes.
 *
 * @example
 * const body = parseInput(ExecBody, req.body ?? {});
 */
const flag = z.enum(['true', 'false']);
export const CloudName = z.enum(['hetzner', 'digital-ocean']);
export const CredentialService = z.enum(['hetzner', 'digital-ocean', 'tailscale']);

/** `POST /v1/instances?dryRun=true`: the plan, no cloud call. */
export const CreateQuery = z.object({ dryRun: flag.optional() });

/** Event pages and streams: `?after=` (or `Last-Event-ID`) and `?limit=`. */
export const EventsQuery = z.object({
  after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(500),
});

export const LogsQuery = z.object({ unit: z.enum(['agent', 'bootstrap', 'workload']).default('agent'), lines: z.coerce.number().int().min(1).max(5000).default(100) });
export const RestartBody = z.object({ target: z.enum(['workload', 'agent']).default('workload'), timeoutSeconds: z.number().int().min(1).max(600).default(60) }).strict();
export const ExecBody = z.object({ argv: z.array(storableText(z.string().max(8192))).min(1).max(256), timeoutSeconds: z.number().int().min(1).max(600).default(30) }).strict();

export const RefreshQuery = z.object({ refresh: flag.optional() });
/** `PUT /v1/providers/{provider}/credentials`: write-only, sealed at rest. */
export const CredentialsBody = z
  .object({
    token: storableText(z.string().min(8).max(4096).regex(/^\s*\S+\s*$/, 'a token without spaces')),
    endpoint: storableText(z.string().max(2048).regex(/^https?:\/\/\S+$/, 'an http(s) URL')).optional(),
    tailnet: z.string().regex(/^[A-Za-z0-9.@_-]{1,200}$/, 'a tailnet name (or -)').optional().describe('tailscale only'),
  })
  .strict();

export const SnapshotProviderQuery = z.object({ provider: CloudName.optional() });
export const StartSnapshotBuild = z.object({ provider: CloudName, location: z.string().regex(/^[a-z0-9-]{1,40}$/, 'a provider location name, e.g. nbg1 or fra1').optional() }).strict();
/** The builder server's report (its build token authorizes it). */
export const SnapshotReady = z.object({ ok: z.boolean(), bootstrapVersion: storableText(z.string().max(100)).optional(), message: storableText(z.string().max(16_000)).optional() });

export const PublishRelease = z.object({
  version: z.string().regex(RELEASE_VERSION, 'must be MAJOR.MINOR.PATCH with an optional -tag'),
  bundle: z.string().min(1, 'must be the base64 agent bundle').regex(/^[A-Za-z0-9+/=\s]+$/, 'must be base64'),
  signature: storableText(z.string().min(1).max(200)),
  notes: storableText(z.string().max(2000)).optional(),
});
export const ApproveRelease = z.object({ canaryPercent: z.number().int().min(1).max(100).optional(), allowDowngrade: z.boolean().optional() }).strict();
/** An agent asking which release to run (its own key authorizes it). */
export const AgentUpdateQuery = z.object({ version: storableText(z.string().max(64)), refused: storableText(z.string().max(4000)).optional() });

/** `POST /v1/ssh-hosts`: a server you bring. Checked field by field by `registerHost`. */
export const RegisterSshHost = z.object({
  name: z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, '1–63 lowercase letters, digits and dashes'),
  address: z.string().min(1).max(253).describe('an IPv4/IPv6 address or a DNS name'),
  port: z.number().int().min(1).max(65535).default(22),
  user: z.string().regex(/^[a-z_][a-z0-9_.-]{0,31}$/i, 'a POSIX user name').default('root'),
  privateKey: storableText(z.string().max(16_384)).optional().describe('OpenSSH or PEM private key text (sealed at rest); exactly one of privateKey and keyPath'),
  passphrase: storableText(z.string().min(1).max(1024)).optional(),
  keyPath: storableText(z.string().max(4096)).optional().describe('a private key file inside HANGAR_SSH_KEY_DIR on the control plane (a name, or an absolute path inside it)'),
  hostKey: storableText(z.string().max(16_384)).optional().describe('SHA256:… fingerprint or a public key line; omitted: trust on first use'),
  remoteRoot: z.string().max(200).regex(/^\/opt\/hangar(-[a-z0-9][a-z0-9-]{0,62})?$/, '/opt/hangar or /opt/hangar-<name>').optional(),
  keepFiles: z.boolean().optional(),
});
export const ProbeQuery = z.object({ probe: flag.optional() });
export const ForceQuery = z.object({ force: flag.optional() });
