/** Minimal leveled logging to stderr, so stdout stays clean for tables and JSON. */
let quiet = false;
export function setQuiet(value: boolean): void { quiet = value; }
export function info(message: string): void { if (!quiet) process.stderr.write(`${message}\n`); }
export function warn(message: string): void { process.stderr.write(`tintem: warning: ${message}\n`); }
