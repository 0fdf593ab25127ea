#!/usr/bin/env node
/** The `tintem` command line: one sub-command per pipeline stage, each in src/cli/commands/. */
import { Command, CommanderError } from 'commander';
import { UserError } from '../util/errors.js';
import { oneLine } from '../util/quote.js';
import { commands } from './commands/index.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('tintem')
    .description('Faithful label-free knowledge distillation of vision models (Teacher in the Middle).')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)');
  for (const register of commands) register(program);
  return program;
}

/** System errors that the machine, not tintem, caused (full disk, permissions, too many open files). */
const ENVIRONMENT_ERRORS = new Set(['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS', 'EMFILE', 'ENFILE', 'EIO', 'EEXIST', 'ENOTDIR', 'EISDIR', 'ENAMETOOLONG', 'ELOOP']);

/**
 * Prints user errors, and environment errors like a full disk, as one line; anything else is a bug and keeps
 * its stack when TINTEM_DEBUG is set.
 */
export function reportError(e: unknown): number {
  if (e instanceof CommanderError) return e.exitCode;
  if (e instanceof UserError) {
    // oneLine: a file name holding a newline cannot forge a second 'tintem: error:' line.
    process.stderr.write(`tintem: error: ${oneLine(e.message)}\n`);
    return 2;
  }
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && ENVIRONMENT_ERRORS.has(code)) {
    process.stderr.write(`tintem: error: ${oneLine((e as Error).message.split('\n')[0]!)}\n`);
    return 2;
  }
  const err = e as Error;
  process.stderr.write(`tintem: internal error: ${oneLine(String(err?.message ?? e))}\n`);
  if (process.env.TINTEM_DEBUG) process.stderr.write(`${err?.stack}\n`);
  else process.stderr.write('tintem: (set TINTEM_DEBUG=1 for a stack trace)\n');
  return 1;
}

async function main(): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(process.argv);
  } catch (e) {
    process.exitCode = reportError(e);
  }
}

await main();
