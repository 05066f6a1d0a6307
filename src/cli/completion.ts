// Bash completion for `edgeha`, generated from the command registry (the same commands,
// words and options that `--help` prints), so it never lists a command that does not exist
// or misses one that does. The package installs it as
// /usr/share/bash-completion/completions/edgeha; `edgeha completion bash` prints it.
import { HELP_OPTION, type Command, type OptionSpec } from "./command";

/** Option values that name a file or directory: completed as paths. */
const PATH_VALUE = /FILE|PATH|DIR|SOCKET|CONFIG|CIB|KEY/;

function quote(word: string): string {
  return /^[\w.:@%+,/=-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

interface Level {
  /** Words that may follow this command path. */
  next: Set<string>;
  /** The command this path names, if it names one. */
  command?: Command;
}

/** Every command path ("", "config", "config check", ...) with the words that may follow it. */
export function commandTree(commands: readonly Command[]): Map<string, Level> {
  const tree = new Map<string, Level>([["", { next: new Set() }]]);
  for (const command of commands) {
    for (let depth = 0; depth < command.words.length; depth++) {
      const path = command.words.slice(0, depth).join(" ");
      const level = tree.get(path) ?? { next: new Set<string>() };
      level.next.add(command.words[depth]!);
      tree.set(path, level);
    }
    const full = command.words.join(" ");
    const level = tree.get(full) ?? { next: new Set<string>() };
    level.command = command;
    tree.set(full, level);
  }
  return tree;
}

function optionWords(command: Command): string[] {
  const specs: OptionSpec[] = [...(command.options ?? []), HELP_OPTION];
  return specs.flatMap((spec) => [`--${spec.name}`, ...(spec.short ? [`-${spec.short}`] : [])]);
}

/** Options that take a value, and of those the ones whose value is a path. */
function valueOptions(commands: readonly Command[]): { takesValue: string[]; pathValue: string[] } {
  const takesValue = new Set<string>();
  const pathValue = new Set<string>();
  for (const command of commands) {
    for (const spec of command.options ?? []) {
      if (spec.kind === "boolean") continue;
      const words = [`--${spec.name}`, ...(spec.short ? [`-${spec.short}`] : [])];
      for (const word of words) {
        takesValue.add(word);
        if (PATH_VALUE.test(spec.value ?? "")) pathValue.add(word);
      }
    }
  }
  return { takesValue: [...takesValue].sort(), pathValue: [...pathValue].sort() };
}

/** The bash completion script. */
export function bashCompletion(commands: readonly Command[]): string {
  const tree = commandTree(commands);
  const { takesValue, pathValue } = valueOptions(commands);
  const cases = [...tree.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([path, level]) => {
    const words = [...level.next].sort().map(quote).join(" ");
    const options = level.command ? optionWords(level.command).map(quote).join(" ") : "";
    // A command that takes arguments (its usage names some) also completes file names.
    const files = level.command && /[A-Z]/.test(level.command.usage.replace(/\[--[^\]]*\]|--[\w-]+ [A-Z_]+/g, "")) ? 1 : 0;
    return `    ${quote(path)}) words=${quote(words)}; options=${quote(options)}; files=${files}; command=${level.command ? 1 : 0} ;;`;
  });
  return `# bash completion for edgeha (generated from its command registry: edgeha completion bash)
_edgeha() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]}
  local path="" word i skip=0 words options files command
  # Options that take a value, and those whose value is a file or directory.
  case " ${takesValue.join(" ")} " in
    *" $prev "*)
      case " ${pathValue.join(" ")} " in
        *" $prev "*) COMPREPLY=( $(compgen -f -- "$cur") ) ;;
        *) COMPREPLY=() ;;
      esac
      return 0 ;;
  esac
  # The command path: the leading words that name commands (options and their values skipped).
  for (( i = 1; i < COMP_CWORD; i++ )); do
    word=\${COMP_WORDS[i]}
    if (( skip )); then skip=0; continue; fi
    case "$word" in
      -*) case " ${takesValue.join(" ")} " in *" $word "*) skip=1 ;; esac; continue ;;
    esac
    if _edgeha_level "\${path:+$path }$word"; then path=\${path:+$path }$word; continue; fi
    # A word that names no command where one is expected: nothing to offer.
    _edgeha_level "$path"
    if (( ! command )); then COMPREPLY=(); return 0; fi
    break
  done
  _edgeha_level "$path"
  if [[ $cur == -* ]]; then
    COMPREPLY=( $(compgen -W "$options" -- "$cur") )
  else
    COMPREPLY=( $(compgen -W "$words" -- "$cur") )
    if (( files )); then COMPREPLY+=( $(compgen -f -- "$cur") ); fi
  fi
  return 0
}
# Sets words, options, files and command (1 when the path is a whole command) for a command
# path; fails for a path that names no command and begins none.
_edgeha_level() {
  case "$1" in
${cases.join("\n")}
    *) return 1 ;;
  esac
  return 0
}
complete -o filenames -F _edgeha edgeha
`;
}
