import type { Command } from 'commander';
import { register as doctor } from './doctor.js';
import { register as embed } from './embed.js';
import { register as distill } from './distill.js';
import { register as evaluate } from './eval.js';
import { register as corrupt } from './corrupt.js';
import { register as demo } from './demo.js';
import { register as report } from './report.js';
import { register as exportCmd } from './export.js';
import { register as serve } from './serve.js';
import { register as cache } from './cache.js';

/** Every sub-command, in the order `tintem --help` lists them. */
export const commands: Array<(program: Command) => void> = [demo, doctor, embed, distill, cache, evaluate, corrupt, report, exportCmd, serve];
