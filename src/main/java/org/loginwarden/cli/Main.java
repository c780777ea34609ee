package org.loginwarden.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
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
    // slf4j's own notes go to stderr; only its warnings are worth a line there.
    System.setProperty("slf4j.provider", QuietLogbackProvider.class.getName());
    System.setProperty("slf4j.internal.verbosity", "WARN");
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
    Io io = new Io(out, err);
    HookCall hook = HookCall.match(args);
    if (hook != null) {
      try {
        return LoginwardenCommand.Pam.run(new Wiring(hook.config()), io, hook.authSucceeded());
      } catch (RuntimeException e) {
        return failed(e, err);
      }
    }
    CommandLine cli = commandLine(io, args);
    cli.setOut(out);
    cli.setErr(err);
    for (CommandLine c : commandTree(cli)) {
      c.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n")
          .exitCodeList(ExitCode.helpList());
      c.getCommandSpec().versionProvider(new LoginwardenCommand.Version());
    }
    cli.setParameterExceptionHandler((e, a) -> {
      err.println("loginwarden: " + e.getMessage().lines().findFirst().orElse("bad usage")
          + " (see --help)");
      return ExitCode.USAGE.code;
    });
    cli.setExecutionExceptionHandler((e, cmd, parsed) -> failed(e, err));
    return cli.execute(args);
  }

  /** The command model for {@code args}: the top command and the subcommand they name. */
  static CommandLine commandLine(Io io, String[] args) {
    CommandLine cli = new CommandLine(new LoginwardenCommand(io));
    Class<?> named = subcommandNamed(cli.getCommandSpec(), args);
    for (Class<?> sub : LoginwardenCommand.SUBCOMMANDS) {
      if (named == null || named == sub) {
        cli.addSubcommand(sub);
      }
    }
    return cli;
  }

  /** One line on stderr and the exit code for a command that threw. */
  private static int failed(Exception e, PrintWriter err) {
    if (e instanceof Failure f) {
      err.println("loginwarden: " + f.getMessage());
      return f.code.code;
    }
    err.println("loginwarden: internal error: " + e);
    return ExitCode.SOFTWARE.code;
  }

  /**
   * The PAM hook's argument vector, exactly as {@code install} writes it into the PAM stack:
   * {@code [--config FILE] pam [--auth-succeeded]}. Matched directly, it skips building
   * picocli's command model, which took half of a hook call (measured: 100 of 210 ms, class
   * data archived). Anything else, {@code pam --help} and every typo included, goes to picocli,
   * which parses these same vectors to the same values (CliTest holds the two together).
   */
  record HookCall(Path config, boolean authSucceeded) {
    static HookCall match(String[] args) {
      int i = 0;
      Path config = null;
      if (args.length > 1 && args[0].equals(LoginwardenCommand.CONFIG)
          && !args[1].startsWith("-") && !args[1].equals(LoginwardenCommand.Pam.NAME)) {
        config = Path.of(args[1]);
        i = 2;
      }
      if (i >= args.length || !args[i].equals(LoginwardenCommand.Pam.NAME)) {
        return null;
      }
      boolean authSucceeded = ++i < args.length
          && args[i].equals(LoginwardenCommand.Pam.AUTH_SUCCEEDED);
      if (authSucceeded) {
        i++;
      }
      return i == args.length ? new HookCall(config, authSucceeded) : null;
    }
  }

  /**
   * The subcommand the first argument that is neither a top-level option nor its value names;
   * null for none or an unknown name.
   */
  static Class<?> subcommandNamed(CommandLine.Model.CommandSpec top, String[] args) {
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (!arg.startsWith("-")) {
        for (Class<?> sub : LoginwardenCommand.SUBCOMMANDS) {
          if (sub.getAnnotation(CommandLine.Command.class).name().equals(arg)) {
            return sub;
          }
        }
        return null;
      }
      CommandLine.Model.OptionSpec option = top.findOption(arg);
      if (option != null && option.arity().max() > 0) {
        i++;
      }
    }
    return null;
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
