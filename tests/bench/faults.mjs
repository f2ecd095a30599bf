// faults.mjs (`npm run faults`): the long fault run. For each seed, alice
// sends FAULTS_N messages (default 10,000) to bob through a proxy that resets
// FAULTS_RESET of the chunks (default 10%) and delays FAULTS_DELAY of them by
// up to 20 ms; prints the fault counts and what bob got. Exits non-zero if
// any message is lost, duplicated or reordered. Seeds: FAULTS_SEEDS="1 2 3".
import { runFaultChat, describe } from '../support/fault-chat.mjs';

const count = Number(process.env.FAULTS_N ?? 10000);
const resetRate = Number(process.env.FAULTS_RESET ?? 0.1);
const delayRate = Number(process.env.FAULTS_DELAY ?? 0.1);
const seeds = (process.env.FAULTS_SEEDS ?? '1 2 3').trim().split(/\s+/).map(Number);

let failed = 0;
console.log(`${count} messages per run, resets ${resetRate * 100}% of chunks, delays ${delayRate * 100}% (up to 20 ms)`);
for (const seed of seeds) {
  const r = await runFaultChat({ count, seed, resetRate, delayRate, maxDelayMs: 20, quietMs: 30000 });
  console.log(describe(r));
  if (!r.inOrderExactlyOnce) {
    failed++;
    if (r.missing.length) console.log(`  missing (first 20): ${r.missing.slice(0, 20).join(' ')}`);
  }
}
process.exit(failed ? 1 : 0);
