import type { Command } from 'commander';
import { UserError } from '../../util/errors.js';

// Placeholder until the 'export' command lands.
export function register(program: Command): void {
  program.command('export').description('(not implemented yet)').action(() => {
    throw new UserError("'export' is not implemented yet");
  });
}
