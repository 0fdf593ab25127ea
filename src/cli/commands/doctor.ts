import type { Command } from 'commander';
import { UserError } from '../../util/errors.js';

// Placeholder until the 'doctor' command lands.
export function register(program: Command): void {
  program.command('doctor').description('(not implemented yet)').action(() => {
    throw new UserError("'doctor' is not implemented yet");
  });
}
