import type { Command } from 'commander';
import { UserError } from '../../util/errors.js';

// Placeholder until the 'demo' command lands.
export function register(program: Command): void {
  program.command('demo').description('(not implemented yet)').action(() => {
    throw new UserError("'demo' is not implemented yet");
  });
}
