/**
 * Shell completion scripts generated from the commander program itself (`hangar completion
 * bash|zsh|fish`): every command and alias, and each command's options with their choices, so a
 * new flag is completed without touching this file.
 */
import type { Command, Option } from 'commander';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

interface Spec {
  names: string[];
  description: string;
  options: { long?: string; short?: string; description: string; takesValue: boolean; choices: string[] }[];
}

/** Only the characters a flag, command or choice may have: nothing that could break out of a script. */
const WORD = /^[A-Za-z0-9][A-Za-z0-9._:/-]*$/;
const words = (xs: (string | undefined)[]) => xs.filter((x): x is string => !!x && WORD.test(x.replace(/^-+/, '')));
/** A description safe inside single quotes, on one line. */
const quoteSafe = (s: string) => s.replace(/[\n\r]/g, ' ').replace(/'/g, '’').replace(/\\/g, '/').slice(0, 120);

function specOf(program: Command): Spec[] {
  return program.commands.map((c) => ({
    names: words([c.name(), ...c.aliases()]),
    description: quoteSafe(c.description()),
    options: [...(c.options as readonly Option[]), ...(program.options as readonly Option[])].map((o) => ({
      long: o.long && WORD.test(o.long.slice(2)) ? o.long : undefined,
      short: o.short && WORD.test(o.short.slice(1)) ? o.short : undefined,
      description: quoteSafe(o.description),
      takesValue: o.required || o.optional,
      choices: words(o.argChoices ?? []),
    })),
  }));
}

function bash(name: string, specs: Spec[]): string {
  const cmds = specs.flatMap((s) => s.names).join(' ');
  const cases = specs.map((s) => {
    const flags = s.options.flatMap((o) => words([o.long, o.short])).join(' ');
    const choice = s.options.filter((o) => o.choices.length).map((o) => `        ${words([o.long, o.short]).join('|')}) COMPREPLY=( $(compgen -W '${o.choices.join(' ')}' -- "$cur") ); return ;;`).join('\n');
    return `    ${s.names.join('|')})\n      case "$prev" in\n${choice}\n      esac\n      COMPREPLY=( $(compgen -W '${flags}' -- "$cur") ) ;;`;
  });
  return `# bash completion for ${name}: eval "$(${name} completion bash)" (e.g. in ~/.bashrc)
_${name}_complete() {
  local cur prev
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W '${cmds} help' -- "$cur") )
    return
  fi
  case "\${COMP_WORDS[1]}" in
${cases.join('\n')}
  esac
}
complete -o default -F _${name}_complete ${name}
`;
}

function zsh(name: string, specs: Spec[]): string {
  const cmds = specs.flatMap((s) => s.names.map((n) => `    '${n}:${s.description.replace(/:/g, ' -')}'`)).join('\n');
  const cases = specs.map((s) => {
    const args = s.options.flatMap((o) => {
      const value = o.takesValue ? `:value:${o.choices.length ? `(${o.choices.join(' ')})` : '_default'}` : '';
      const desc = o.description.replace(/[[\]:]/g, ' ');
      return words([o.long, o.short]).map((f) => `'${f}[${desc}]${value}'`);
    });
    return `    ${s.names.join('|')})\n      _arguments -s ${args.join(' ')} '*:argument:_default' ;;`;
  });
  return `#compdef ${name}
# zsh completion for ${name}: ${name} completion zsh > "\${fpath[1]}/_${name}" (or eval "$(${name} completion zsh)")
_${name}() {
  local -a commands
  commands=(
${cmds}
  )
  if (( CURRENT == 2 )); then
    _describe 'command' commands
    return
  fi
  shift words
  (( CURRENT-- ))
  case "$words[1]" in
${cases.join('\n')}
  esac
}
if [ "$funcstack[1]" = "_${name}" ]; then _${name} "$@"; else compdef _${name} ${name}; fi
`;
}

function fish(name: string, specs: Spec[]): string {
  const lines = [`# fish completion for ${name}: ${name} completion fish > ~/.config/fish/completions/${name}.fish`, `complete -c ${name} -f`];
  for (const s of specs) for (const n of s.names) lines.push(`complete -c ${name} -n '__fish_use_subcommand' -a '${n}' -d '${s.description}'`);
  for (const s of specs) {
    for (const o of s.options) {
      const flags = [o.long ? `-l ${o.long.slice(2)}` : '', o.short ? `-s ${o.short.slice(1)}` : ''].filter(Boolean).join(' ');
      if (!flags) continue;
      const value = o.takesValue ? (o.choices.length ? ` -x -a '${o.choices.join(' ')}'` : ' -r') : '';
      lines.push(`complete -c ${name} -n '__fish_seen_subcommand_from ${s.names.join(' ')}' ${flags}${value} -d '${o.description}'`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The completion script for `shell`, from `program`'s commands and options.
 *
 * @example
 * completionScript(program, 'bash') // → '# bash completion for hangar: …\n_hangar_complete() {…'
 */
export function completionScript(program: Command, shell: Shell): string {
  const name = program.name();
  const specs = specOf(program);
  return shell === 'bash' ? bash(name, specs) : shell === 'zsh' ? zsh(name, specs) : fish(name, specs);
}
