import type { Command } from 'commander';
import { UserError } from '../../util/errors.js';

// Placeholder until the 'corrupt' command lands.
export function register(program: Command): void {
  program.command('corrupt').description('(not implemented yet)').action(() => {
    throw new UserError("'corrupt' is not implemented yet");
  });
}
