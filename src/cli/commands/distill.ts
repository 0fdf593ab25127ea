import type { Command } from 'commander';
import { UserError } from '../../util/errors.js';

// Placeholder until the 'distill' command lands.
export function register(program: Command): void {
  program.command('distill').description('(not implemented yet)').action(() => {
    throw new UserError("'distill' is not implemented yet");
  });
}
