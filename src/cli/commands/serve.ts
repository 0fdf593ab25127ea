import type { Command } from 'commander';
import { UserError } from '../../util/errors.js';

// Placeholder until the 'serve' command lands.
export function register(program: Command): void {
  program.command('serve').description('(not implemented yet)').action(() => {
    throw new UserError("'serve' is not implemented yet");
  });
}
