import type { Command } from 'commander';
import { UserError } from '../../util/errors.js';

// Placeholder until the 'embed' command lands.
export function register(program: Command): void {
  program.command('embed').description('(not implemented yet)').action(() => {
    throw new UserError("'embed' is not implemented yet");
  });
}
