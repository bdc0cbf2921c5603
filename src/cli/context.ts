import { HangarClient } from './client.ts';
import { configPath, MISSING_KEY, readConfigFile, resolveSettings, type Settings } from './config.ts';
import { CliError } from './errors.ts';
import { colorEnabled, colors, type Colors } from './output.ts';
import { PlainView, SilentView, SpinnerView, type ProgressView } from './progress.ts';

/** Options every command takes. */
export interface CommonOptions {
  url?: string;
  apiKey?: string;
  /** The project to act in (`--project`, else HANGAR_PROJECT). */
  project?: string;
  json?: boolean;
  quiet?: boolean;
}

export interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
}

/** What a command needs: where to print, how (json, colors), and a client for the server. */
export class Context {
  readonly json: boolean;
  /** `--quiet`: no progress and no notes on stderr; results and errors only. */
  readonly quiet: boolean;
  /** Colors for stdout. */
  readonly c: Colors;
  /** Colors for stderr. */
  readonly ce: Colors;
  /**
   * The request fields this command fills from flags (`serverType` → `--type`): the server's 400
   * naming only such fields is reported as a usage error (exit 2), with the flag beside the field.
   */
  fieldFlags: Readonly<Record<string, string>> = {};

  constructor(
    readonly io: Io,
    readonly opts: CommonOptions,
  ) {
    this.json = Boolean(opts.json);
    this.quiet = Boolean(opts.quiet);
    this.c = colors(!this.json && colorEnabled(io.stdout, io.env));
    this.ce = colors(colorEnabled(io.stderr, io.env));
  }

  get interactive(): boolean {
    return Boolean(this.io.stdout.isTTY) && !this.io.env.CI && this.io.env.TERM !== 'dumb';
  }

  /** A line on stdout (ignored with --json, where only {@link Context.printJson} prints). */
  print(text = ''): void {
    if (!this.json) this.io.stdout.write(`${text}\n`);
  }

  printJson(value: unknown): void {
    this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** One compact JSON value per line (for streams of events). */
  printJsonLine(value: unknown): void {
    this.io.stdout.write(`${JSON.stringify(value)}\n`);
  }

  /** A message for the user that is not the command's result (stderr; quiet with --json or --quiet). */
  info(text: string): void {
    if (!this.json && !this.quiet) this.io.stderr.write(`${text}\n`);
  }

  settings(): Settings {
    return resolveSettings({ url: this.opts.url, apiKey: this.opts.apiKey }, this.io.env, readConfigFile(configPath(this.io.env)));
  }

  client(): HangarClient {
    const s = this.settings();
    if (!s.apiKey) throw new CliError(MISSING_KEY);
    const project = this.opts.project || this.io.env.HANGAR_PROJECT || undefined;
    return new HangarClient({ url: s.url, apiKey: s.apiKey, project });
  }

  /**
   * How `--wait` shows its steps: always on stderr, so stdout holds only the result (the JSON
   * of `--json`, for pipelines); a spinner on a terminal, plain lines otherwise; nothing with `--quiet`.
   */
  progress(): ProgressView {
    if (this.quiet) return new SilentView();
    const err = this.io.stderr;
    if (err.isTTY && !this.io.env.CI && this.io.env.TERM !== 'dumb') return new SpinnerView(err, this.ce);
    return new PlainView((s) => err.write(s), this.ce);
  }
}
