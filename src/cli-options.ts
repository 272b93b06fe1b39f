import type { Command } from 'commander';

/**
 * Commander checks a command's required options before its unknown ones, so a mistyped
 * `--merchnat` would be reported as a missing `--merchant`. This looks first: it finds the
 * command the arguments name and refuses an option that command does not have.
 */
export function rejectUnknownOptions(program: Command, args: readonly string[]): void {
  let command = program;
  let rest = [...args];
  for (;;) {
    const name = rest[0];
    const sub = command.commands.find((c) => c.name() === name || c.aliases().includes(name ?? ''));
    if (!sub) break;
    command = sub;
    rest = rest.slice(1);
  }
  if (command === program) return;
  // The probe must leave no option values behind for the real parse.
  command.saveStateBeforeParse();
  const { unknown } = command.parseOptions(rest);
  command.restoreStateBeforeParse();
  const flag = unknown[0];
  if (flag?.startsWith('-') && flag !== '-h' && flag !== '--help') {
    const path = [];
    for (let c: Command | null = command; c; c = c.parent) path.unshift(c.name());
    command.error(`error: unknown option '${flag}' (see \`${path.join(' ')} --help\`)`, {
      code: 'commander.unknownOption',
    });
  }
}
