package org.loginwarden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The watcher survives being SIGKILLed mid-sweep, and lifts lock_time locks by itself. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WatchRestartIT {

  static final Duration BOUND = Duration.ofSeconds(45);

  Path work;
  TestUser stubborn;
  TestUser bystander;
  TestUser locked;
  PrivateSshd sshd;
  Clients clients;
  Process watch;

  @BeforeAll
  void start() throws IOException {
    PrivateSshd.assumeAvailable();
    work = Files.createTempDirectory("lw-restart-");
    stubborn = TestUser.create(work);
    bystander = TestUser.create(work);
    locked = TestUser.create(work);
    sshd = PrivateSshd.start(String.join("\n",
        "sweep_interval = 1s",
        "warn_before = 2s",
        // A long grace, so that the watcher can be killed between SIGTERM and SIGKILL.
        "kill_grace = 6s",
        "violations = 1",
        "lock_time = 5s",
        "[user " + stubborn.name + "]",
        "max_session_time = 6s"));
    clients = new Clients(sshd);
  }

  @AfterEach
  void stopWatch() {
    if (watch != null) {
      watch.destroyForcibly();
    }
  }

  @AfterAll
  void stop() throws IOException {
    for (TestUser u : List.of(stubborn, bystander, locked)) {
      u.close();
    }
    if (sshd != null) {
      sshd.close();
    }
    Exec.run("/bin/rm", "-rf", work.toString());
  }

  @Test
  void aWatcherKilledMidSweepAndRestartedLosesNothingAndEndsNothingTwice() throws IOException {
    Process other = clients.start(bystander, List.of(), "exec sleep 1000");
    // This session ignores SIGTERM: only SIGKILL, after kill_grace, ends it.
    Process target = clients.start(stubborn, List.of(),
        "trap '' TERM HUP; while :; do sleep 1; done");
    try {
      Exec.await(BOUND, "both sessions to be live", () ->
          sshd.liveSessions(stubborn.name).size() == 1
              && sshd.liveSessions(bystander.name).size() == 1);
      long priv = sshd.state(stubborn.name).sessions().get(0).pid();
      watch = sshd.startWatch();
      Exec.await(BOUND, "the watcher to decide the session expired",
          () -> sshd.auditEvents("expired", stubborn.name).size() == 1);
      // SIGTERM has reached the session when its [priv] sshd is gone; kill the watcher then,
      // inside the 6 s grace, before its SIGKILL.
      Exec.await(BOUND, "the session's sshd to go on SIGTERM",
          () -> ProcessHandle.of(priv).map(h -> !h.isAlive()).orElse(true)
              || Procs.cmdline(priv).isEmpty());
      watch.destroyForcibly();
      Exec.await(Duration.ofSeconds(10), "the first watcher to be gone", () -> !watch.isAlive());
      assertFalse(stubborn.processes().isEmpty(),
          "the shell ignoring SIGTERM outlives the killed watcher");

      watch = sshd.startWatch();
      Exec.await(BOUND, "the restarted watcher to finish the session",
          () -> stubborn.processes().isEmpty());

      assertEquals(1, sshd.auditEvents("expired", stubborn.name).size(),
          "decided once, not twice");
      Exec.await(BOUND, "the ended session's record to go",
          () -> sshd.state(stubborn.name).sessions().isEmpty());
      assertTrue(other.isAlive(), "the bystander's session is untouched");
      assertEquals(1, sshd.liveSessions(bystander.name).size(), "and still recorded");
      assertEquals(List.of(), sshd.auditEvents("expired", bystander.name));
    } finally {
      target.destroyForcibly();
      other.destroyForcibly();
    }
  }

  @Test
  void aLockTimeLockLiftsByItselfAndShadowComesBack() throws IOException {
    String before = locked.shadowLine();
    Process first = clients.start(locked, List.of(), "exec sleep 1000");
    try {
      Exec.await(BOUND, "the session to be live",
          () -> sshd.liveSessions(locked.name).size() == 1);
      assertNotEquals(0, clients.sshKey(locked, "true").exit(), "violation 1 of 1: locked");
      Exec.await(BOUND, "/etc/shadow to be locked", () -> {
        try {
          return locked.shadowLine().startsWith(locked.name + ":!");
        } catch (IOException e) {
          throw new AssertionError(e);
        }
      });
      Instant lockedAt = Instant.parse(
          sshd.auditEvents("lock", locked.name).get(0).get("time").asText());
      watch = sshd.startWatch();

      Exec.await(BOUND, "the watcher to lift the lock", () -> {
        try {
          return locked.shadowLine().equals(before);
        } catch (IOException e) {
          throw new AssertionError(e);
        }
      });
      System.out.println("lock_time lag: " + Duration.between(lockedAt.plusSeconds(5),
          Instant.now()).toMillis() + " ms after the 5 s lock_time");

      Exec.Result in = clients.sshPassword(locked, "echo back");
      assertEquals(0, in.exit(), in.all());
      assertEquals(1, sshd.auditEvents("unlock", locked.name).size());
      assertTrue(sshd.auditEvents("unlock", locked.name).get(0).get("reason").asText()
          .contains("lock_time"));
    } finally {
      first.destroyForcibly();
    }
  }
}
