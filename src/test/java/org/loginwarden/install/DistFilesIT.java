package org.loginwarden.install;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.loginwarden.audit.AuditLog;
import org.loginwarden.config.ConfigReference;
import org.loginwarden.core.AuditRecord;
import org.loginwarden.e2e.Exec;

/**
 * The files install puts in place, read by the programs that read them on a real system:
 * man, bash, logrotate, systemd-tmpfiles. Each runs against a scratch root.
 */
class DistFilesIT {

  @TempDir Path root;

  @BeforeEach
  void installed() throws Exception {
    Files.createDirectories(root.resolve("etc/pam.d"));
    Files.writeString(root.resolve(Installer.PAM), PamStackTest.DEBIAN);
    new Installer(root).install(InstallIT.JAR, false);
  }

  static void need(String program) {
    if (!Files.isExecutable(Path.of(program))) {
      if ("true".equals(System.getenv("CI"))) {
        throw new AssertionError("CI=true but " + program + " is missing");
      }
      Assumptions.abort("no " + program + " here");
    }
  }

  Exec.Result man(String section, String page) {
    need("/usr/bin/man");
    // man finds the page by name in the installed tree, as `man loginwarden` does after install.
    return Exec.run(Duration.ofSeconds(60), Map.of("MANWIDTH", "100", "LC_ALL", "C.UTF-8"),
        List.of("/usr/bin/man", "--warnings", "-M", root.resolve("usr/share/man").toString(),
            section, page));
  }

  @Test
  void manRendersLoginwarden8WithEveryCommandAndExitCode() {
    Exec.Result r = man("8", "loginwarden");
    assertEquals(0, r.exit(), r.err());
    assertEquals("", r.err(), "groff warnings");
    for (String word : List.of("LOGINWARDEN(8)", "install [--root DIR] [--wiring-only] "
        + "[--reload-sshd]", "uninstall [--root DIR] [--wiring-only] [--purge]", "doctor [--root DIR] [--json]",
        "status [--json] [--no-legend] [USER]", "unlock USER", "watch", "sweep",
        "doctor: at least one check failed", "loginwarden.conf(5)")) {
      assertTrue(r.out().contains(word), "man page lacks '" + word + "':\n" + r.out());
    }
    assertTrue(!r.out().contains("end-sessions"), "the internal command stays out");
  }

  @Test
  void manRendersLoginwardenConf5WithEveryKey() {
    Exec.Result r = man("5", "loginwarden.conf");
    assertEquals(0, r.exit(), r.err());
    assertEquals("", r.err(), "groff warnings");
    for (ConfigReference.Key k : ConfigReference.KEYS) {
      String shown = k.name() + " = " + (k.value().isEmpty() ? "(empty)" : k.value());
      assertTrue(r.out().contains(shown), "man page lacks '" + shown + "':\n" + r.out());
    }
  }

  @Test
  void bashCompletesCommandsAndOptions() {
    need("/bin/bash");
    String script = "source " + root.resolve("usr/share/bash-completion/completions/loginwarden")
        + "\ncomplete() { :; }\n" // the real completion functions without bash-completion
        + "COMP_WORDS=(loginwarden do); COMP_CWORD=1; COMP_LINE='loginwarden do';"
        + " COMP_POINT=${#COMP_LINE}; _complete_loginwarden loginwarden do loginwarden 2>/dev/null;"
        + " echo \"${COMPREPLY[@]}\"\n"
        + "COMP_WORDS=(loginwarden uninstall --p); COMP_CWORD=2; COMP_LINE='loginwarden "
        + "uninstall --p'; COMP_POINT=${#COMP_LINE}; _complete_loginwarden loginwarden --p "
        + "uninstall 2>/dev/null; echo \"${COMPREPLY[@]}\"\n";
    Exec.Result r = Exec.run(Duration.ofSeconds(30), Map.of(),
        List.of("/bin/bash", "--norc", "-c", script));
    assertEquals(List.of("doctor", "--purge"), r.out().lines().map(String::strip).toList(),
        r.all());
  }

  @Test
  void logrotateMovesTheAuditLogAndTheNextLineStartsAFreshOne() throws Exception {
    need("/usr/sbin/logrotate");
    Path logs = root.resolve("var/log/loginwarden");
    Path conf = root.resolve("logrotate.conf");
    Files.writeString(conf, Files.readString(root.resolve("etc/logrotate.d/loginwarden"))
        .replace("/var/log/loginwarden/", logs + "/"));
    AuditLog audit = new AuditLog(logs.resolve("audit.jsonl"), "host1", Clock.systemUTC());
    audit.write(new AuditRecord("lock", "alice", null, "before rotation", "root", false));

    Exec.Result r = Exec.run(Duration.ofSeconds(30), Map.of(), List.of("/usr/sbin/logrotate",
        "-f", "-s", root.resolve("logrotate.state").toString(), conf.toString()));
    assertEquals(0, r.exit(), r.all());
    assertTrue(Files.readString(logs.resolve("audit.jsonl.1")).contains("before rotation"));
    assertEquals("", Files.readString(logs.resolve("audit.jsonl")));
    assertEquals("rw-------", PosixFilePermissions.toString(
        Files.getPosixFilePermissions(logs.resolve("audit.jsonl"))));

    audit.write(new AuditRecord("unlock", "alice", null, "after rotation", "root", false));
    assertTrue(Files.readString(logs.resolve("audit.jsonl")).contains("after rotation"));
    assertTrue(!Files.readString(logs.resolve("audit.jsonl.1")).contains("after rotation"));
  }

  @Test
  void tmpfilesCreatesTheStateDirectoriesRootOnly() throws Exception {
    need("/usr/bin/systemd-tmpfiles");
    for (String dir : Installer.STATE_DIRS) {
      Files.delete(root.resolve(dir));
    }
    Exec.Result r = Exec.run(Duration.ofSeconds(30), Map.of(), List.of(
        "/usr/bin/systemd-tmpfiles", "--root=" + root, "--create", "loginwarden.conf"));
    assertEquals(0, r.exit(), r.all());
    for (String dir : Installer.STATE_DIRS) {
      assertEquals("rwx------", PosixFilePermissions.toString(
          Files.getPosixFilePermissions(root.resolve(dir))), dir);
    }
  }
}
