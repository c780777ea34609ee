package org.loginwarden.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.loginwarden.core.AuditRecord;

/** The notifier as a real program: /bin/sh scripts, real exits, a real time limit. */
class NotifyRunnerTest {

  @TempDir Path dir;

  private static final Notice LOCK = Notice.of(new AuditRecord("lock", "alice", null,
      "lock by root", "root", false), "host1", Instant.parse("2026-11-22T10:00:00Z"));

  private Path script(String name, String body) throws IOException {
    Path p = dir.resolve(name);
    Files.writeString(p, "#!/bin/sh\n" + body + "\n");
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
    return p;
  }

  private NotifyRunner runner(Path command, Duration timeout) {
    return new NotifyRunner(new NotifyRunner.Settings(command, List.of(), timeout));
  }

  @Test
  void theNotifierGetsTheNoticeAsEnvironmentAndJsonOnStdinAndNothingElse() throws IOException {
    Path out = dir.resolve("out");
    Path p = script("ok", "env | sort > " + out + ".env; cat > " + out + ".json");
    assertEquals(List.of(), runner(p, Duration.ofSeconds(10)).deliver(LOCK));
    String env = Files.readString(Path.of(out + ".env"));
    assertTrue(env.contains("LOGINWARDEN_EVENT=lock\n"), env);
    assertTrue(env.contains("LOGINWARDEN_USER=alice\n"), env);
    assertTrue(env.contains("PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"), env);
    assertFalse(env.contains("HOME="), "the caller's environment is cleared: " + env);
    assertEquals(LOCK, Notice.parse(Files.readString(Path.of(out + ".json")).strip()));
  }

  @Test
  void aFailureSaysHowWithItsFirstLine() throws IOException {
    Path p = script("fails", "echo 'webhook unreachable' >&2; exit 3");
    List<String> f = runner(p, Duration.ofSeconds(10)).deliver(LOCK);
    assertEquals(List.of("notify_command " + p + " exited 3: webhook unreachable"), f);
  }

  @Test
  void aSlowNotifierIsKilledWithWhatItStarted() throws Exception {
    Path pid = dir.resolve("sleep.pid");
    Path p = script("slow", "sleep 30 & echo $! > " + pid + "; wait");
    long t0 = System.nanoTime();
    String f = runner(p, Duration.ofMillis(500)).run(List.of(p.toString()), LOCK.environment(),
        "");
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(f.startsWith("timed out after"), f);
    assertTrue(ms < 5000, "bounded: " + ms + " ms");
    long sleeper = Long.parseLong(Files.readString(pid).strip());
    // SIGKILL is delivered at once, but a killed process stays a zombie until reaped.
    long until = System.nanoTime() + 5_000_000_000L;
    while (running(sleeper) && System.nanoTime() - until < 0) {
      Thread.sleep(20);
    }
    assertFalse(running(sleeper), "the notifier's child is killed too");
  }

  private static boolean running(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
    } catch (IOException e) {
      return false;
    }
  }

  @Test
  void aMissingProgramOrSendmailIsAFailureNotAnException() {
    assertTrue(runner(dir.resolve("absent"), Duration.ofSeconds(1)).deliver(LOCK).get(0)
        .contains("cannot run"));
    List<String> f = new NotifyRunner(null, List.of("root"), Duration.ofSeconds(1),
        dir.resolve("no-sendmail")).deliver(LOCK);
    assertEquals(1, f.size());
    assertTrue(f.get(0).startsWith("mail to root: "), f.get(0));
  }

  @Test
  void sendmailGetsTheMessageOnStdinWithRecipientsFromItsHeaders() throws IOException {
    Path got = dir.resolve("mail");
    Path fake = script("sendmail", "echo \"$@\" > " + got + ".args; cat > " + got);
    assertNull(new NotifyRunner(null, List.of("admin@example.org"), Duration.ofSeconds(5), fake)
        .run(List.of(fake.toString(), "-t", "-oi"), java.util.Map.of(),
            LOCK.mail(List.of("admin@example.org"))));
    assertEquals("-t -oi", Files.readString(Path.of(got + ".args")).strip());
    assertTrue(Files.readString(got).startsWith("To: admin@example.org\nSubject: loginwarden: "
        + "alice locked on host1 by root\n"), Files.readString(got));
  }

  @Test
  void theDetachedProcessGetsTheSettingsTheHookReadNotAFileThatMayHaveChanged() {
    DetachedNotifier n = new DetachedNotifier(java.util.Set.of("lock"), new NotifyRunner.Settings(
        Path.of("/usr/local/bin/page"), List.of("a@example.org", "root"), Duration.ofSeconds(90)),
        Path.of("/etc/lw.conf"), "host1", java.time.Clock.systemUTC(), false, line -> { });
    List<String> c = n.command();
    assertEquals(List.of("--config", "/etc/lw.conf", "notify", "--timeout", "90s", "--command",
        "/usr/local/bin/page", "--mail", "a@example.org", "--mail", "root"),
        c.subList(c.indexOf("org.loginwarden.cli.Main") + 1, c.size()));
  }
}
