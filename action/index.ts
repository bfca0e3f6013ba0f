// Action entry point: ncc bundles this file into dist/index.js, which action.yml runs.
import { run } from './main.js';

await run();
