/**
 * An error caused by the user's input (a file, an option, a config key). The CLI prints its message as one
 * line, without a stack trace. Messages should name the file/option and say what was expected.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** Throws a UserError unless `condition` holds. */
export function ensure(condition: unknown, message: string): asserts condition {
  if (!condition) throw new UserError(message);
}
