package org.loginwarden.cli;


import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.loginwarden.cli.InProcessCli.run;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.loginwarden.cli.InProcessCli.Result;

/**
 * Runs {@link Main#run} in-process for what touches nothing on the system: help, version and
 * usage errors. Everything else reads /etc and /var/lib and belongs to the *IT tier.
 */
class CliTest {

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"--help", "-h"})
  void helpListsTheSubcommandsAndEveryExitCode(String flag) {
    Result r = run(flag);

    assertEquals(0, r.code());
    assertEquals("", r.err());
    assertTrue(r.out().startsWith("Usage: loginwarden"), r.out());
    for (String sub : new String[] {"pam", "status", "lock", "unlock", "kick"}) {
      assertTrue(r.out().contains("  " + sub + " "), sub + " missing from\n" + r.out());
    }
    assertTrue(!r.out().contains("end-sessions"), "internal command shown:\n" + r.out());
    assertTrue(r.out().contains("Exit codes:"), r.out());
    for (ExitCode c : ExitCode.values()) {
      assertTrue(r.out().matches("(?s).*\\n\\s+" + c.code + "\\s+" + java.util.regex.Pattern
          .quote(c.meaning) + "\\n.*"), c + " missing from\n" + r.out());
    }
  }

  @ParameterizedTest(name = "{0} --help")
  @ValueSource(strings = {"pam", "status", "lock", "unlock", "kick"})
  void subcommandHelpListsTheExitCodesToo(String sub) {
    Result r = run(sub, "--help");

    assertEquals(0, r.code());
    assertTrue(r.out().startsWith("Usage: loginwarden " + sub), r.out());
    assertTrue(r.out().contains("Exit codes:"), r.out());
    assertTrue(r.out().contains(ExitCode.PERMISSION.meaning), r.out());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"--version", "-V"})
  void version(String flag) {
    Result r = run(flag);

    assertEquals(0, r.code());
    assertEquals("", r.err());
    assertTrue(r.out().matches("loginwarden \\S.*\\R"), r.out());
  }

  @Test
  void anUnknownSubcommandIsAUsageError() {
    Result r = run("frobnicate");

    assertEquals(ExitCode.USAGE.code, r.code());
    assertEquals(2, r.code());
    assertEquals("", r.out());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(r.err().startsWith("loginwarden: "), r.err());
    assertTrue(r.err().contains("frobnicate"), r.err());
    assertTrue(r.err().contains("--help"), r.err());
  }

  @Test
  void noSubcommandIsAUsageError() {
    Result r = run();

    assertEquals(2, r.code());
    assertEquals("", r.out());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(r.err().startsWith("loginwarden: "), r.err());
  }

  @Test
  void anUnknownOptionIsAUsageError() {
    Result r = run("--frobnicate");

    assertEquals(2, r.code());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(r.err().startsWith("loginwarden: "), r.err());
  }

  @Test
  void aMissingArgumentIsAUsageError() {
    // Parsing fails before the command runs: nothing is read or written.
    Result r = run("lock");

    assertEquals(2, r.code());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(r.err().startsWith("loginwarden: "), r.err());
  }

  @Test
  void exitCodesAreDistinct() {
    assertEquals(ExitCode.values().length, java.util.Arrays.stream(ExitCode.values())
        .mapToInt(c -> c.code).distinct().count());
    assertEquals(ExitCode.values().length, ExitCode.helpList().size());
  }

  @Test
  void theSubcommandAfterTopLevelOptionsIsTheOneRegistered() {
    picocli.CommandLine top = new picocli.CommandLine(new LoginwardenCommand(null));
    picocli.CommandLine.Model.CommandSpec spec = top.getCommandSpec();

    assertEquals(LoginwardenCommand.Pam.class,
        Main.subcommandNamed(spec, new String[] {"--config", "status", "pam", "lock"}));
    assertEquals(LoginwardenCommand.Pam.class,
        Main.subcommandNamed(spec, new String[] {"--config=/x", "pam", "--auth-succeeded"}));
    assertEquals(LoginwardenCommand.Status.class,
        Main.subcommandNamed(spec, new String[] {"status", "pam"}));
    assertEquals(null, Main.subcommandNamed(spec, new String[] {"--help"}));
    assertEquals(null, Main.subcommandNamed(spec, new String[] {"no-such", "pam"}));
    assertEquals(null, Main.subcommandNamed(spec, new String[] {}));
  }

  @Test
  void everySubcommandRunsWhenNamedAlone() {
    // Each registered by itself must still parse: its --help works and exits 0.
    for (Class<?> sub : LoginwardenCommand.SUBCOMMANDS) {
      picocli.CommandLine.Command command = sub.getAnnotation(picocli.CommandLine.Command.class);
      if (command.hidden()) {
        continue;
      }
      String name = command.name();
      Result r = run(name, "--help");
      assertEquals(0, r.code(), name + ": " + r.err());
      assertTrue(r.out().startsWith("Usage: loginwarden " + name), r.out());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"pam", "pam --auth-succeeded", "--config /etc/x.conf pam",
      "--config /x pam --auth-succeeded", "--config status pam"})
  void theHookVectorsMatchedDirectlyParseAsPicocliParsesThem(String line) {
    String[] args = line.split(" ");
    picocli.CommandLine.ParseResult parsed = Main.commandLine(null, args).parseArgs(args);

    Main.HookCall hook = Main.HookCall.match(args);

    assertEquals(new Main.HookCall(
        parsed.matchedOptionValue(LoginwardenCommand.CONFIG, null),
        parsed.subcommand().matchedOptionValue(LoginwardenCommand.Pam.AUTH_SUCCEEDED, false)),
        hook);
  }

  @ParameterizedTest
  @ValueSource(strings = {"pam --help", "pam -h", "--config=/x pam", "pam extra",
      "pam --auth-succeeded --auth-succeeded", "pam --auth-succeeded x", "status", "--config",
      "--config /x", "PAM", "--config /x status", "-h pam", "pam --config /x",
      "--config pam pam", "--config -h pam"})
  void everyOtherVectorGoesToPicocli(String line) {
    assertEquals(null, Main.HookCall.match(line.split(" ")));
  }

  @Test
  void theHookVectorStillNeedsRoot() {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        org.loginwarden.proc.ProcfsProcessTable.effectiveUid() != 0, "run as a non-root user");
    Result r = run("pam");
    assertEquals(ExitCode.PERMISSION.code, r.code());
    assertEquals("loginwarden: cannot run pam: needs root\n", r.err());
  }
}
