// Which of `.ci/run`'s two test passes this is: the second runs every test again on the Node 24 it fetched.
import path from 'node:path';

/**
 * True in the second pass (the runtime is `.cache/node-24*`). A suite that skips itself there says why: what it
 * tests does not depend on the test runner's Node (docs/decisions.md, "CI").
 */
export const SECOND_PASS = process.execPath.includes(`${path.sep}.cache${path.sep}node-24`);
