// The default export: a named import of a function an old Node lacks would fail before the bundle's
// own Node version check could say so (scripts/build.mjs).
import module from 'node:module';

/** Replaced with package.json's version at build time (scripts/build.mjs; vitest.config.ts for the tests). */
declare const __IRSA_ISSUER_VERSION__: string;

// `irsa-issuer ... | head` closes stdout early; that is the reader's choice, not a failure to report.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  // What commander would print, without loading any command: `--version` costs what Node's start does.
  process.stdout.write(`${__IRSA_ISSUER_VERSION__}\n`);
} else {
  // V8's compiled code for what loads next is kept in NODE_COMPILE_CACHE, else the OS's temporary
  // directory, and read back by the next run. Node checks each entry against the source and its own
  // version and recompiles what does not match, and a directory it cannot write only leaves the
  // cache off: a cache problem costs time, never correctness (test/cli/compile-cache.test.ts).
  // NODE_DISABLE_COMPILE_CACHE=1 turns it off.
  module.enableCompileCache();
  const { runCli } = await import('./program.js');
  process.exitCode = await runCli(argv, {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
  });
}
