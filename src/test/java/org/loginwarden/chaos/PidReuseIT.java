package org.loginwarden.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.loginwarden.core.Session;
import org.loginwarden.store.StateStore;

/**
 * Pid reuse: a recorded session whose pid now belongs to an unrelated process, which differs
 * in start time or in audit session id. kick, sweep and a new login's open hook must not
 * signal it. The control: the same record pointing at the real process is ended, so the test
 * sees a signal when one is sent.
 */
class PidReuseIT {

  /** Reports SIGTERM in a file and keeps running, so a TERM shows even if ignored. */
  private static final String VICTIM = "import signal, sys, time\n"
      + "open('/proc/self/loginuid', 'w').write('65534')\n"
      + "signal.signal(signal.SIGTERM, lambda *a: open(sys.argv[1], 'a').write('TERM\\n'))\n"
      + "print('ready', flush=True)\n"
      + "while True: time.sleep(1)\n";

  @TempDir Path tmp;
  private Process victim;

  @AfterEach
  void endVictim() {
    if (victim != null) {
      victim.destroyForcibly();
    }
  }

  @Test
  void aReusedPidIsNeverSignalled() throws Exception {
    Path signals = tmp.resolve("signals");
    victim = new ProcessBuilder("/usr/bin/python3", "-c", VICTIM, signals.toString())
        .redirectErrorStream(true).start();
    assertEquals("ready", new java.io.BufferedReader(new java.io.InputStreamReader(
        victim.getInputStream())).readLine());
    long pid = victim.pid();
    long start = HookHarness.startTime(pid);
    long audit = HookRaceIT.auditSession(pid);

    try (HookHarness h = new HookHarness(tmp.resolve("lw"),
        "max_sessions = 1\nkill_grace = 1s\nviolations = 100")) {
      // Same pid, other start time; same pid and start time, other audit session.
      record(h, "reused1", session(pid, start - 1, audit));
      record(h, "reused2", session(pid, start, audit + 1000));

      for (String user : List.of("reused1", "reused2")) {
        assertEquals(0, h.run("kick", user).exit());
      }
      assertEquals(0, h.run("sweep").exit());
      try (HookHarness.FakePriv p = h.session("reused1")) {
        assertEquals(0, p.run("open_session", -1), "the stale record does not count");
      }
      assertTrue(victim.isAlive(), "the unrelated process was killed");
      assertTrue(!Files.exists(signals), "the unrelated process got " + read(signals));
      assertEquals(List.of(), h.store().peek("reused2").sessions(), "the sweep dropped it");

      // Control: the record that does match the process is ended by kick.
      record(h, "matching", session(pid, start, audit));
      assertEquals(0, h.run("kick", "matching").exit());
      assertTrue(victim.waitFor(20, TimeUnit.SECONDS), "kick did not end the real session");
      assertTrue(read(signals).contains("TERM"), "no SIGTERM first: " + read(signals));
    }
  }

  private static Session session(long pid, long start, long audit) {
    return new Session(pid, start, audit, HookHarness.SERVICE, "192.0.2.7", 50022, null, null,
        null, Instant.now().minus(Duration.ofMinutes(1)), null);
  }

  private static void record(HookHarness h, String user, Session s) throws Exception {
    try (StateStore.Transaction tx = h.store().begin(user)) {
      tx.write(tx.state().withSessions(List.of(s)));
    }
  }

  private static String read(Path p) {
    try {
      return Files.exists(p) ? Files.readString(p) : "";
    } catch (java.io.IOException e) {
      return "";
    }
  }
}
