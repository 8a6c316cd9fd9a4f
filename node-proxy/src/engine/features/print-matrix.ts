// Prints the embedded engine's feature matrix as Markdown, or with --write
// rewrites its section in node-proxy/README.md:
//   node --import tsx node-proxy/src/engine/features/print-matrix.ts [--write]
import { matrixSection, README_PATH, writeReadmeSection } from './readme.js';

if (process.argv.includes('--write')) {
  writeReadmeSection();
  console.log(`updated the feature matrix in ${README_PATH}`);
} else process.stdout.write(matrixSection() + '\n');
