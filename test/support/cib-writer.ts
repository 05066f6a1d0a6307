// A child process for the crash test: saves CIB versions 1, 2, 3, ... with a
// sizeable configuration and prints "saved N" after each save returns.
import { CibStore, emptyCib, type Cib } from "../../src/cib";

const directory = process.argv[2]!;
const store = new CibStore(directory);
const start = Number(process.argv[3] ?? "1");
const padding = "x".repeat(2000);
for (let epoch = start; epoch < start + 100_000; epoch++) {
  const cib: Cib = { ...emptyCib(), version: { adminEpoch: 0, epoch, numUpdates: 0 } };
  cib.nodes = Array.from({ length: 64 }, (_, index) => ({
    id: String(index), uname: `node${index}`, extra: { note: padding }, instance: [], utilization: [],
  }));
  store.save(cib);
  process.stdout.write(`saved ${epoch}\n`);
}
