#!/usr/bin/env node
// Entry point of the `maille` binary: runs the compiled CLI (npm run build writes dist/).
import process from 'node:process';
import v8 from 'node:v8';

if (process.argv[2] === 'proxy') {
  // Keep V8's young generation at its initial size (1 MB semi-spaces) instead of letting it grow
  // to 16 MB semi-spaces. A proxy allocates ~7 KB of short-lived garbage per request and keeps
  // little alive, so a small young generation costs no measurable CPU, shortens each scavenge,
  // and saves ~50 MB of peak RSS. Measured with one proxy under closed-loop load
  // (docs/performance.md): peak RSS 121 MB → 69 MB, CPU per request unchanged within noise.
  // It must be set here, before the CLI loads (start-up parsing would grow the young generation
  // at once); `--max-semi-space-size` cannot be changed once the process runs, the growth factor
  // can, and 1 means "never grow". `node --max-semi-space-size=N bin/maille.js` still overrides.
  if (!process.execArgv.some((a) => a.startsWith('--max-semi-space-size') || a.startsWith('--semi-space-growth-factor'))) {
    v8.setFlagsFromString('--semi-space-growth-factor=1');
  }
  // Smaller TurboFan compile jobs: inline at most 200 bytes of bytecode into one optimized
  // function (V8's default is 920). The peak RSS of a proxy is set while its hot paths are being
  // optimized (each job's zone memory, 1.5–2.5 MB, plus the code it makes); with less inlining
  // the jobs and their code are smaller. Measured (docs/performance.md, "Memory"): peak −1.5 to
  // −2 MB, closed-loop CPU per request unchanged within the noise of interleaved runs. Set before
  // any code is optimized; `--max-inlined-bytecode-size-cumulative` on the command line wins.
  if (!process.execArgv.some((a) => a.startsWith('--max-inlined-bytecode-size-cumulative'))) {
    v8.setFlagsFromString('--max-inlined-bytecode-size-cumulative=200');
  }
  // And keep the old generation from growing on the garbage promoted while the proxy's code warms
  // up (src/proxy/app/heap-governor.ts: peak RSS −1.5 to −3 MB). MAILLE_HEAP_GOVERNOR=0 turns it off.
  if (process.env.MAILLE_HEAP_GOVERNOR !== '0') {
    const { startHeapGovernor } = await import('../dist/src/proxy/app/heap-governor.js');
    startHeapGovernor();
  }
  // And scavenge when dead Buffers pile up (TLS reads allocate one per read; src/proxy/app/
  // buffer-governor.ts: mTLS peak RSS −2 to −3 MB). MAILLE_BUFFER_GOVERNOR=0 turns it off.
  if (process.env.MAILLE_BUFFER_GOVERNOR !== '0') {
    const { startBufferGovernor } = await import('../dist/src/proxy/app/buffer-governor.js');
    startBufferGovernor();
  }
}

await import('../dist/src/cli/main.js');
