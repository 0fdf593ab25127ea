import type { Command } from 'commander';
import { UserError } from '../../util/errors.js';

// Placeholder until the 'report' command lands.
export function register(program: Command): void {
  program.command('report').description('(not implemented yet)').action(() => {
    throw new UserError("'report' is not implemented yet");
  });
}
