// Entry point of `maille` (bin/maille.js imports the compiled copy). Importing it runs the CLI.
import { processContext } from './command.js';
import { runCli } from './run.js';

const code = await runCli(process.argv.slice(2), processContext);
// Exit explicitly: after `proxy` drains, open handles must not keep the process alive. Writes to
// stdout/stderr are synchronous for files and pipes on POSIX, so nothing printed is lost.
process.exit(code);
