package org.loginwarden.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.loginwarden.cli.ExitCode;
import org.loginwarden.store.StateStore;

/**
 * Disk full: state_dir and run_dir each on a small tmpfs, filled up. The hooks answer what
 * on_error says with one line naming the cause, the audit log (on another file system) says
 * why, and no state file is truncated, lost or left half-written. With the audit log on the
 * full file system too, the answer and the stderr line still come. Space freed, all goes on.
 */
class DiskFullIT {

  @TempDir Path tmp;
  private final List<Path> mounts = new ArrayList<>();

  @AfterEach
  void unmount() {
    for (Path m : mounts) {
      run("/bin/umount", "--lazy", m.toString());
    }
  }

  @Test
  void aFullDiskLosesNothingAndTheHookAnswersPerOnError() throws Exception {
    Path lw = Files.createDirectories(tmp.resolve("lw"));
    mount(lw.resolve("state"));
    mount(lw.resolve("run"));
    try (HookHarness h = new HookHarness(lw, "on_error = closed\nmax_sessions = 5")) {
      // Two sessions: closing one must rewrite the file (closing the last only removes it).
      HookHarness.FakePriv bob = h.session("dfbob");
      assertEquals(0, bob.run("open_session", -1));
      HookHarness.FakePriv bob2 = h.session("dfbob");
      assertEquals(0, bob2.run("open_session", -1));
      try (StateStore.Transaction tx = h.store().begin("dfcarol")) {
        tx.write(tx.state().withViolations(List.of(Instant.parse("2024-05-01T12:00:00Z"))));
      }
      Map<Path, String> before = stateFiles(h);
      assertEquals(2, before.size(), before.toString());

      fill(lw.resolve("state"));
      fill(lw.resolve("run"));

      // A new login of each: its session cannot be recorded.
      for (String user : List.of("dfbob", "dfcarol", "dfdave")) {
        try (HookHarness.FakePriv p = h.session(user)) {
          assertEquals(ExitCode.STATE.code, p.run("open_session", -1), user);
        }
      }
      assertEquals(ExitCode.STATE.code, bob.run("close_session", -1), "close cannot write");
      List<String> errors = Files.readAllLines(tmp.resolve("lw/hooks.err"));
      assertEquals(4, errors.size(), errors.toString());
      for (String line : errors) {
        assertTrue(line.startsWith("loginwarden: cannot use state: cannot write ")
            && line.endsWith(": No space left on device"), line);
      }
      String audit = Files.readString(h.auditLog);
      assertEquals(4, audit.lines().filter(l -> l.contains("\"event\":\"error\"")
          && l.contains("No space left on device")).count(), audit);
      assertEquals(before, stateFiles(h), "state files changed on a full disk");

      h.config("on_error = open\nmax_sessions = 5");
      try (HookHarness.FakePriv p = h.session("dfcarol")) {
        assertEquals(0, p.run("open_session", -1), "on_error = open lets the login go on");
      }
      // The audit log on the full file system too: the answer and stderr still come.
      h.config("on_error = closed\nmax_sessions = 5\naudit_log = " + lw.resolve("state/audit.jsonl")
          + "\nlog_file = " + lw.resolve("state/loginwarden.log"));
      try (HookHarness.FakePriv p = h.session("dfcarol")) {
        assertEquals(ExitCode.STATE.code, p.run("open_session", -1));
      }
      List<String> last = Files.readAllLines(tmp.resolve("lw/hooks.err"));
      assertEquals(6, last.size(), last.toString());
      assertTrue(last.get(5).endsWith("No space left on device"), last.get(5));
      assertEquals(before, stateFiles(h), "state files changed on a full disk");

      // Space again: everything goes on from the state as it was.
      Files.delete(lw.resolve("state/filler"));
      Files.delete(lw.resolve("run/filler"));
      h.config("on_error = closed\nmax_sessions = 5");
      assertEquals(0, bob.run("close_session", -1));
      assertEquals(0, bob2.run("close_session", -1));
      try (HookHarness.FakePriv p = h.session("dfcarol")) {
        assertEquals(0, p.run("open_session", -1));
        assertEquals(1, h.store().peek("dfcarol").violations().size(), "violations kept");
        assertEquals(1, h.store().peek("dfcarol").sessions().size());
      }
      assertEquals(List.of(), h.store().peek("dfbob").sessions());
      System.out.printf("disk full: %d hook calls answered with exit %d, no state file "
          + "changed, no temp file left%n", 5, ExitCode.STATE.code);
    }
  }

  private void mount(Path where) throws IOException {
    Files.createDirectories(where);
    int exit = run("/bin/mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs",
        where.toString());
    if (exit != 0 && !"true".equals(System.getenv("CI"))) {
      Assumptions.abort("cannot mount a tmpfs here (not root, or no CAP_SYS_ADMIN)");
    }
    assertEquals(0, exit, "mount tmpfs on " + where);
    mounts.add(0, where);
  }

  /** Writes until the file system refuses another byte. */
  private static void fill(Path dir) throws IOException {
    byte[] block = new byte[4096];
    try (OutputStream out = Files.newOutputStream(dir.resolve("filler"))) {
      for (int i = 0; i < 1_000_000; i++) {
        out.write(block);
        out.flush();
      }
    } catch (IOException e) {
      assertTrue(e.getMessage().contains("No space left"), e.getMessage());
      return;
    }
    throw new AssertionError(dir + " never filled up");
  }

  /** Every state file and its content: nothing else (no temp file) may appear. */
  private static Map<Path, String> stateFiles(HookHarness h) throws IOException {
    Map<Path, String> out = new TreeMap<>();
    for (Path dir : List.of(h.stateDir.resolve("users"), h.runDir.resolve("sessions"))) {
      try (Stream<Path> files = Files.list(dir)) {
        for (Path f : files.toList()) {
          out.put(f, Files.readString(f));
        }
      }
    }
    return out;
  }

  private static int run(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      return p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS) ? p.exitValue() : -1;
    } catch (IOException | InterruptedException e) {
      return -1;
    }
  }
}
