// Rewrites docs/config.md from the config schema and the registries (npm run docs).
import { writeFileSync } from 'node:fs';
import { configDocsMarkdown } from '../src/cli/config-docs.js';

writeFileSync('docs/config.md', configDocsMarkdown());
console.log('wrote docs/config.md');
