/**
 * Runs the program once: parse, dispatch, and turn any failure into one line on stderr and an
 * exit code (CLI-5). Stack traces only with `--verbose`.
 */
import { type Command, CommanderError } from "@commander-js/extra-typings";
import { classify, ExitCode } from "./exit-codes.js";
import { buildProgram, type CommandHandlers } from "./program.js";

export interface RunIo {
  stderr: { write(s: string): unknown };
  stdout: { write(s: string): unknown };
}

/** Parse `argv` (user arguments only, no `node script`) and run; resolves to the exit code. */
export async function runCli(
  argv: readonly string[],
  handlers: CommandHandlers,
  io: RunIo,
): Promise<number> {
  const program = buildProgram(handlers);
  const configure = (cmd: Command): void => {
    cmd.exitOverride();
    cmd.configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });
    for (const sub of cmd.commands) configure(sub as Command);
  };
  configure(program);
  const verbose = argv.includes("--verbose") || argv.includes("-v");
  try {
    await program.parseAsync([...argv], { from: "user" });
    return ExitCode.Ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed the message (or the help/version text).
      return err.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    const { exitCode, line } = classify(err);
    io.stderr.write(`${line}\n`);
    if (verbose && err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`);
    if (verbose && err instanceof Error && err.cause instanceof Error && err.cause.stack) {
      io.stderr.write(`caused by: ${err.cause.stack}\n`);
    }
    return exitCode;
  }
}
