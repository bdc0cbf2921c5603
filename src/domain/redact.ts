/**
 * Redaction of secrets in text we keep or show (exec audit events, logs): URL credentials,
 * values of secret-looking flags, environment assignments, headers and JSON keys, and the shapes
 * of well-known tokens. It errs towards masking: a masked harmless value costs a little
 * readability, a kept secret costs the secret.
 */

export const REDACTED = '[REDACTED]';

/**
 * `scheme://userinfo@` anywhere in a string: group 1 is `scheme://`, group 2 the userinfo (greedy
 * up to the last `@` before the path, so an unencoded `@` in a password is covered too).
 *
 * @example
 * 'git clone https://u:p@h/r'.replace(urlUserinfoPattern(), '$1@') // → 'git clone https://@h/r'
 */
export const urlUserinfoPattern = (): RegExp => /\b([A-Za-z][A-Za-z0-9+.-]{0,31}:\/\/)([^\s/?#'"]*)@/g;

/** Words that make a name secret wherever they appear in it. */
const STRONG = /(password|passwd|passphrase|secret|token|api_?key|access_?key|private_?key|credential|auth_?key|session_?id|cookie)/;
/** Words that make a name secret when they are its last word (`--key`, `MYSQL_PWD`, `dbPass`). */
const WEAK = /(^|[-_.])(pass|pwd|pw|key|auth|authorization|bearer|sig|signature|passin|passout|otp)$/;
/** Last words that say the value is where a secret is, or about it, not the secret (`--password-file`). */
const NOT_THE_VALUE = /(^|[-_.])(file|path|dir|stdin|fd|env|var|helper|command|cmd|prompt|length|type)$/;

/**
 * Whether a flag, variable, header or JSON key names a secret.
 *
 * @example
 * isSecretName('--db-password') // → true
 * isSecretName('openaiApiKey')  // → true
 * isSecretName('--port')        // → false
 */
export function isSecretName(name: string): boolean {
  const n = name
    .replace(/^-+/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/-/g, '_');
  return (STRONG.test(n) && !NOT_THE_VALUE.test(n)) || WEAK.test(n);
}

/** Token shapes: the prefix stays (it says what leaked), the rest is masked. */
const TOKEN_SHAPES: RegExp[] = [
  /\b(hg[a-z]_)[A-Za-z0-9_-]{8,}/g, // Hangar: hgb_ (bootstrap), hga_ (agent), hgr_ (API key)
  /\b(tskey-)[A-Za-z0-9-]{6,}/g, // Tailscale auth, API and client keys
  /\b(gh[pousr]_)[A-Za-z0-9]{16,}/g, // GitHub tokens
  /\b(github_pat_)[A-Za-z0-9_]{16,}/g,
  /\b(glpat-)[A-Za-z0-9_-]{16,}/g, // GitLab
  /\b(sk-)[A-Za-z0-9_-]{16,}/g, // OpenAI, Anthropic (sk-ant-…), …
  /\b([sr]k_(?:live|test)_)[A-Za-z0-9]{10,}/g, // Stripe
  /\b(xox[abposr]-)[A-Za-z0-9-]{8,}/g, // Slack
  /\b(A[KS]IA)[A-Z0-9]{16}\b/g, // AWS access key ids
  /\b(AIza)[A-Za-z0-9_-]{30,}/g, // Google API keys
  /\b(npm_)[A-Za-z0-9]{30,}/g,
  /\b(hf_)[A-Za-z0-9]{30,}/g, // Hugging Face
  /\b(eyJ)[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, // JWTs
];

/** Schemes an Authorization-like header value starts with; kept readable. */
const AUTH_SCHEME = '(?:Bearer|Basic|Token|Digest|Bot|Negotiate|Splunk|SSWS)';
const QUOTED_OR_WORD = `(?:"[^"]*"|'[^']*'|[^\\s'"])*`;

/**
 * A text with every URL's userinfo and every secret-named query parameter masked.
 *
 * @example
 * redactUrl('https://bot:ghp_x@github.com/a.git') // → 'https://[REDACTED]@github.com/a.git'
 * redactUrl('https://h/x?sig=abc&page=2')          // → 'https://h/x?sig=[REDACTED]&page=2'
 */
export function redactUrl(text: string): string {
  return text
    .replace(urlUserinfoPattern(), `$1${REDACTED}@`)
    .replace(/([?&])([A-Za-z_][\w.-]*)=([^&#\s'"]*)/g, (m, sep: string, name: string) => (isSecretName(name) ? `${sep}${name}=${REDACTED}` : m));
}

/**
 * One piece of text with secrets masked: private keys, URL credentials, `Authorization:`-style
 * headers, bearer tokens, JSON `"password": "…"`, `--token=…`, `NAME=…` assignments (env,
 * query strings, libpq), `--password value` inside a shell string, and token shapes.
 *
 * @example
 * redactText("sh -c 'PGPASSWORD=x psql -h db'") // → "sh -c 'PGPASSWORD=[REDACTED] psql -h db'"
 */
export function redactText(text: string): string {
  let s = text.replace(/(-----BEGIN [A-Z ]*PRIVATE KEY-----)[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, `$1${REDACTED}$2`);
  s = redactUrl(s);
  // Header lines: `Authorization: Bearer x`, `cookie: a=b`, `X-Api-Key: x` (value up to a quote or newline).
  s = s.replace(new RegExp(`(^|[\\s'"{,;=])([A-Za-z][\\w-]*)(\\s*:\\s*)(${AUTH_SCHEME}\\s+)?([^\\s'"\\n/][^'"\\n]*)`, 'g'), (m, pre: string, name: string, colon: string, scheme: string | undefined) =>
    isSecretName(name) || /^(proxy-)?authorization$|^(set-)?cookie$/i.test(name) ? `${pre}${name}${colon}${scheme ?? ''}${REDACTED}` : m,
  );
  s = s.replace(new RegExp(`\\b(${AUTH_SCHEME})(\\s+)[A-Za-z0-9._~+/=-]{6,}`, 'g'), `$1$2${REDACTED}`);
  // JSON: "password": "x"
  s = s.replace(/("([^"\\]*)"\s*:\s*)"((?:[^"\\]|\\.)*)"/g, (m, head: string, name: string) => (isSecretName(name) ? `${head}"${REDACTED}"` : m));
  // --token=x, -pass=x
  s = s.replace(new RegExp(`(^|[\\s'"])(--?[A-Za-z][\\w.-]*)=(${QUOTED_OR_WORD})`, 'g'), (m, pre: string, flag: string) => (isSecretName(flag) ? `${pre}${flag}=${REDACTED}` : m));
  // NAME=x (env assignments, libpq `password=x`, docker -e, build args)
  s = s.replace(/(^|[\s;&|('"`,])([A-Za-z_][\w.-]*)=("[^"]*"|'[^']*'|[^\s;&|'"`),]*)/g, (m, pre: string, name: string) => (isSecretName(name) ? `${pre}${name}=${REDACTED}` : m));
  // --password x inside one argument (a shell string)
  s = s.replace(/(^|\s)(--?[A-Za-z][\w.-]*)(\s+)('[^']*'|"[^"]*"|[^\s'"-][^\s'"]*)/g, (m, pre: string, flag: string, sp: string) => (isSecretName(flag) ? `${pre}${flag}${sp}${REDACTED}` : m));
  s = redactToolFlags(s);
  for (const shape of TOKEN_SHAPES) s = s.replace(shape, `$1${REDACTED}`);
  return s;
}

/** Tools whose short options carry a password: mysql `-pPASS`, sshpass `-p PASS`, redis-cli `-a PASS`, `docker login -p PASS`. */
interface ToolContext {
  /** `-p` with an attached value is a password (mysql, mariadb, sshpass). */
  attachedP: boolean;
  /** Short flags whose next argument is a password. */
  valueFlags: Set<string>;
}

const TOOL = /(?:^|[\s/'"`;&|(])(mysql\w*|mariadb[\w-]*|sshpass|redis-cli|login)(?=$|[\s'"`;&|)])/;

function toolContext(text: string, into: ToolContext = { attachedP: false, valueFlags: new Set() }): ToolContext {
  for (const m of text.matchAll(new RegExp(TOOL.source, 'g'))) {
    const tool = m[1];
    if (/^(mysql|mariadb)/.test(tool)) into.attachedP = true;
    else if (tool === 'sshpass') {
      into.attachedP = true;
      into.valueFlags.add('-p');
    } else if (tool === 'redis-cli') into.valueFlags.add('-a');
    else if (tool === 'login') into.valueFlags.add('-p');
  }
  return into;
}

/** Inside one shell string: `mysql -pS3cret`, `sshpass -p x`, `redis-cli -a x` after their tool's name. */
function redactToolFlags(text: string): string {
  const m = new RegExp(TOOL.source).exec(text);
  if (!m) return text;
  const head = text.slice(0, m.index + m[0].length);
  const ctx = toolContext(text);
  let tail = text.slice(head.length);
  if (ctx.attachedP) tail = tail.replace(/(^|\s)-p(?!\s|$)(\S+)/g, `$1-p${REDACTED}`);
  for (const f of ctx.valueFlags) tail = tail.replace(new RegExp(`(^|\\s)${f}(\\s+)(?!${REDACTED.replace(/[[\]]/g, '\\$&')})('[^']*'|"[^"]*"|\\S+)`, 'g'), `$1${f}$2${REDACTED}`);
  return head + tail;
}

/**
 * argv fit for an audit event: argv[0] and harmless arguments stay readable; masked are the
 * value after a secret-looking flag (`--password x`, `--token x`, `-pass x`), attached values
 * (`--token=x`, and `-pPASSWORD` once mysql/mariadb/sshpass appears), `user:password` after
 * `-u`/`--user`, `NAME=secret` assignments, `Authorization:`/`Cookie:` headers and bearer tokens,
 * URL userinfo (`https://u:p@h` → `https://[REDACTED]@h`), secret query parameters, JSON secret
 * keys, private keys and well-known token shapes (hg?_, tskey-, ghp_, github_pat_, sk-, xox?-, …),
 * also inside `sh -c '…'` strings.
 *
 * @example
 * redactArgv(['mysql', '-uroot', '-pS3cret', 'db']) // → ['mysql', '-uroot', '-p[REDACTED]', 'db']
 * redactArgv(['curl', '-H', 'Authorization: Bearer abc123', 'https://u:p@h/x'])
 * // → ['curl', '-H', 'Authorization: Bearer [REDACTED]', 'https://[REDACTED]@h/x']
 */
export function redactArgv(argv: readonly string[]): string[] {
  const ctx: ToolContext = { attachedP: false, valueFlags: new Set() };
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = String(argv[i]);
    const prev = i > 0 ? String(argv[i - 1]) : undefined;
    if (prev !== undefined && !arg.startsWith('--') && ((/^--?[A-Za-z][\w.-]*$/.test(prev) && isSecretName(prev)) || ctx.valueFlags.has(prev))) {
      out.push(REDACTED);
      continue;
    }
    if (prev !== undefined && /^(-u|-U|--user|--proxy-user)$/.test(prev) && arg.includes(':')) {
      out.push(`${redactText(arg.slice(0, arg.indexOf(':')))}:${REDACTED}`);
      continue;
    }
    let r = arg;
    const user = /^(--user|--proxy-user)=([^:]*):./.exec(arg);
    if (user) r = `${user[1]}=${user[2]}:${REDACTED}`;
    else if (i > 0 && ctx.attachedP && /^-p./.test(arg)) r = `-p${REDACTED}`;
    out.push(redactText(r));
    toolContext(arg, ctx);
  }
  return out;
}
