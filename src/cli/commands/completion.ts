import { Argument, type Command } from 'commander';
import { completionScript, SHELLS, type Shell } from '../completion.ts';
import type { Action } from '../program.ts';

/**
 * `hangar completion bash|zsh|fish`: print the completion script for that shell.
 *
 * @example
 * // eval "$(hangar completion bash)"
 */
export function registerCompletion(program: Command, action: Action): void {
  program
    .command('completion')
    .description('print a shell completion script (bash, zsh or fish)')
    .addArgument(new Argument('<shell>', 'the shell').choices(SHELLS))
    .addHelpText('after', `
Examples:
  eval "$(hangar completion bash)"                       # in ~/.bashrc
  hangar completion zsh > "\${fpath[1]}/_hangar"
  hangar completion fish > ~/.config/fish/completions/hangar.fish`)
    .action(action(async (ctx, [shell]) => {
      ctx.io.stdout.write(completionScript(program, shell as Shell));
    }));
}
