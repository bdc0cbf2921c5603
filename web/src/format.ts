/** Small display helpers. */

const CURRENCY_BY_PROVIDER: Record<string, string> = { hetzner: 'EUR', 'digital-ocean': 'USD', local: 'EUR', ssh: 'EUR' };

export function formatPrice(amount: number | null | undefined, currency?: string | null, provider?: string): string {
  if (amount === null || amount === undefined || Number.isNaN(amount)) return '—';
  const cur = currency || (provider && CURRENCY_BY_PROVIDER[provider]) || 'EUR';
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: cur, minimumFractionDigits: 2, maximumFractionDigits: amount > 0 && amount < 0.1 ? 4 : 2 }).format(amount);
  } catch {
    return `${amount.toFixed(2)} ${cur}`;
  }
}

/** "812 B", "3.4 KiB", "64 KiB" */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '—';
  if (n < 1024) return `${n} B`;
  const k = n / 1024;
  if (k < 1024) return `${k < 10 && !Number.isInteger(k) ? k.toFixed(1) : Math.round(k)} KiB`;
  const m = k / 1024;
  return `${m < 10 && !Number.isInteger(m) ? m.toFixed(1) : Math.round(m)} MiB`;
}

/** "42s", "5m", "3h 2m", "4d" */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** Coarse age: "12s", "5m", "3h", "4d". */
export function formatAge(iso: string | null | undefined, now: number): string {
  if (!iso) return '—';
  const ms = Math.max(0, now - Date.parse(iso));
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function formatClock(iso: string): string {
  const d = new Date(iso);
  return `${d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false })}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

export const STEP_LABELS: Record<string, string> = {
  create_server: 'Create server',
  boot: 'Boot',
  enroll: 'Enroll agent',
  network: 'Network',
  configure: 'Configure',
  workload: 'Start workload',
};

export const WORKLOAD_LABELS: Record<string, string> = {
  process: 'Process',
  openclaw: 'OpenClaw gateway',
  'agent-manager': 'Cursor agent-manager',
  'runner-stack': 'Runner stack',
  compose: 'Docker Compose',
};

export const PROVIDER_LABELS: Record<string, string> = {
  local: 'Local',
  hetzner: 'Hetzner Cloud',
  'digital-ocean': 'DigitalOcean',
  ssh: 'SSH (existing server)',
};
