package org.loginwarden.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import org.loginwarden.proc.ProcfsProcessTable;
import picocli.CommandLine;

/**
 * The entry point. Only {@link #main} touches {@code System.*} and exits; {@link #run} takes
 * its streams and returns the exit status, so tests run it in-process.
 */
public final class Main {

  /** The streams a run writes to. */
  record Io(PrintWriter out, PrintWriter err) {}

  private Main() {}

  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(new java.io.OutputStreamWriter(System.out,
        StandardCharsets.UTF_8), true);
    PrintWriter err = new PrintWriter(new java.io.OutputStreamWriter(System.err,
        StandardCharsets.UTF_8), true);
    int code = run(args, out, err);
    out.flush();
    err.flush();
    System.exit(code);
  }

  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cli = commandLine(new Io(out, err));
    cli.setOut(out);
    cli.setErr(err);
    cli.setParameterExceptionHandler((e, a) -> {
      err.println("loginwarden: " + e.getMessage().lines().findFirst().orElse("bad usage")
          + " (see --help)");
      return ExitCode.USAGE.code;
    });
    cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
      if (e instanceof Failure f) {
        err.println("loginwarden: " + f.getMessage());
        return f.code.code;
      }
      err.println("loginwarden: internal error: " + e);
      return ExitCode.SOFTWARE.code;
    });
    return cli.execute(args);
  }

  /** The command tree as --help, the man page and the completion script show it. */
  static CommandLine commandLine(Io io) {
    CommandLine cli = new CommandLine(new LoginwardenCommand(io));
    for (CommandLine c : commandTree(cli)) {
      c.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n")
          .exitCodeList(ExitCode.helpList());
      c.getCommandSpec().versionProvider(new LoginwardenCommand.Version());
    }
    return cli;
  }

  private static java.util.List<CommandLine> commandTree(CommandLine top) {
    java.util.List<CommandLine> all = new java.util.ArrayList<>(java.util.List.of(top));
    all.addAll(top.getSubcommands().values());
    return all;
  }

  /** Admin commands change or read root's files: refuse others with one clear line. */
  static void requireRoot(String what) {
    if (ProcfsProcessTable.effectiveUid() != 0) {
      throw new Failure(ExitCode.PERMISSION, "cannot " + what + ": needs root");
    }
  }
}
