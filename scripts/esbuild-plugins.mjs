// esbuild plugins the product bundle (scripts/bundle.mjs) and the tests that bundle as it does share.
import path from "node:path";

/**
 * pino without its transports (issue 21, RSS): pino loads lib/transport.js (thread-stream) and
 * worker_threads at start for transports, which run a logger in a worker thread; edgeha logs to
 * its stdout (the journal) on the main thread and never uses one. Without them the agent loads
 * neither worker_threads nor thread-stream (~0.6 MiB of RSS measured in a bare Node 24). pino's
 * `transport()` then throws, and `isMainThread` is true (it is: edgeha starts no worker threads).
 */
export const pinoWithoutTransports = {
  name: "pino-without-transports",
  setup(build) {
    const inPino = (importer) => importer.includes(`${path.sep}node_modules${path.sep}pino${path.sep}`);
    build.onResolve({ filter: /^\.\/(lib\/)?transport$/ }, (args) => (inPino(args.importer) ? { path: "transport", namespace: "pino-stub" } : undefined));
    build.onResolve({ filter: /^(node:)?worker_threads$/ }, (args) => (inPino(args.importer) ? { path: "worker_threads", namespace: "pino-stub" } : undefined));
    build.onLoad({ filter: /.*/, namespace: "pino-stub" }, (args) => ({
      loader: "js",
      contents: args.path === "transport"
        ? "module.exports = function transport() { throw new Error('pino transports are not part of edgeha (scripts/esbuild-plugins.mjs)'); };"
        : "module.exports = { isMainThread: true };",
    }));
  },
};
