import type { Command } from 'commander';
import { UserError } from '../../util/errors.js';

// Placeholder until the 'eval' command lands.
export function register(program: Command): void {
  program.command('eval').description('(not implemented yet)').action(() => {
    throw new UserError("'eval' is not implemented yet");
  });
}
