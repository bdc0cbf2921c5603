import type { CreateInstanceBody, FieldError, WorkloadKind } from '../../types.ts';
import { buildConfig, settingForError, WORKLOAD_SETTINGS } from '../../workloads.ts';

/** Error messages by API field name (`connectTimeoutSeconds`, `config.apiKey`). */
export type FieldErrors = Record<string, string>;

/** What the create form holds, as typed (strings until they are sent). */
export interface CreateFields {
  provider: string;
  location: string;
  serverType: string;
  image: string;
  name: string;
  workload: WorkloadKind;
  /** The current workload's settings. */
  settings: Record<string, string>;
  tailscale: boolean;
  tags: string;
  connectTimeout: string;
  onFailure: 'destroy' | 'keep';
}

/** Form fields the API can name in `errors[].field`; anything else goes to the summary. */
const TOP_FIELDS = ['provider', 'location', 'serverType', 'image', 'name', 'workload', 'tailscale', 'tailscaleTags', 'connectTimeoutSeconds', 'onFailure'];

const FIELD_LABELS: Record<string, string> = {
  provider: 'Provider',
  location: 'Location',
  serverType: 'Server type',
  image: 'Image',
  name: 'Name',
  workload: 'Workload',
  tailscaleTags: 'Extra ACL tags',
  connectTimeoutSeconds: 'Connect timeout',
  onFailure: 'If provisioning fails',
};

/**
 * The POST /v1/instances body for the form, and the errors caught before any request (a
 * missing required setting, a non-numeric timeout). The API judges everything else.
 *
 * @example
 * const { body, local } = buildRequest(fields); // local: { connectTimeoutSeconds: '…' }
 */
export function buildRequest(f: CreateFields): { body: CreateInstanceBody; local: FieldErrors } {
  const { config, errors: local } = buildConfig(f.workload, f.settings);
  const body: CreateInstanceBody = { provider: f.provider, workload: f.workload, config, tailscale: f.tailscale, onFailure: f.onFailure };
  if (f.name.trim()) body.name = f.name.trim();
  if (f.location) body.location = f.location;
  if (f.serverType) body.serverType = f.serverType;
  if (f.image.trim() && f.provider !== 'local') body.image = f.image.trim();
  if (f.tailscale) {
    const t = f.tags.split(/[\s,]+/).filter(Boolean);
    if (t.length) body.tailscaleTags = t;
  }
  if (f.connectTimeout.trim()) {
    const n = Number(f.connectTimeout);
    // Let the API judge anything numeric (it names the bounds); only non-numbers are caught here.
    if (Number.isFinite(n)) body.connectTimeoutSeconds = n;
    else local.connectTimeoutSeconds = 'a whole number of seconds';
  }
  if (!f.provider) local.provider = 'choose a provider';
  return { body, local };
}

/**
 * Sort the API's field errors into those shown next to a field of the form and the rest (for
 * the summary). A nested or free-form setting's error names it (config.environment.FOO: …).
 *
 * @example
 * mapFieldErrors([{ field: 'name', message: 'bad' }], fields); // { mapped: { name: 'bad' }, other: [] }
 */
export function mapFieldErrors(errors: FieldError[], f: Pick<CreateFields, 'workload' | 'settings' | 'tailscale'>): { mapped: FieldErrors; other: FieldError[] } {
  const mapped: FieldErrors = {};
  const other: FieldError[] = [];
  for (const e of errors) {
    const top = e.field.replace(/^tailscaleTags\.\d+$/, 'tailscaleTags');
    const setting = settingForError(f.workload, f.settings, e.field);
    const field = setting ?? (TOP_FIELDS.includes(top) && !(top === 'tailscaleTags' && !f.tailscale) ? top : null);
    const message = setting && setting !== e.field ? `${e.field.slice('config.'.length)}: ${e.message}` : e.message;
    if (field) mapped[field] = mapped[field] ? `${mapped[field]}; ${message}` : message;
    else other.push(e);
  }
  return { mapped, other };
}

/**
 * The error summary's headline: the fields to correct by label, else what kind of failure.
 *
 * @example
 * summaryTitle({ name: 'bad' }, 'process', 0); // 'Please correct this field: Name.'
 */
export function summaryTitle(errors: FieldErrors, workload: WorkloadKind, otherCount: number): string {
  const labels = Object.keys(errors).map((f) => FIELD_LABELS[f] ?? WORKLOAD_SETTINGS[workload].find((d) => `config.${d.key}` === f)?.label ?? f);
  if (labels.length) return `Please correct ${labels.length === 1 ? 'this field' : `these ${labels.length} fields`}: ${labels.join(', ')}.`;
  return otherCount ? 'The API rejected the request:' : 'The request failed';
}
