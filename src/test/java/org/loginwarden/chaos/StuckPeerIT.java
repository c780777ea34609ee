package org.loginwarden.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.loginwarden.cli.ExitCode;

/**
 * A stuck peer: some process holds alice's store lock forever (an fcntl lock on her lock
 * file, as a hung hook would). alice's next hook gives up after lock_timeout and answers what
 * on_error says, with one line and an audit record; bob's hooks, meanwhile, take as long as
 * without the stuck peer. (FileStateStoreIT shows the same for the store alone.)
 */
class StuckPeerIT {

  private static final int LOCK_TIMEOUT_S = 6;
  /** Holds an fcntl write lock on the file, as Java's FileChannel.lock does, until killed. */
  private static final String HOLDER = "import fcntl, os, sys, time\n"
      + "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)\n"
      + "fcntl.lockf(fd, fcntl.LOCK_EX)\n"
      + "print('locked', flush=True)\n"
      + "time.sleep(3600)\n";

  @TempDir Path tmp;
  private Process holder;

  @AfterEach
  void endHolder() {
    if (holder != null) {
      holder.destroyForcibly();
    }
  }

  @Test
  void theNextHookGivesUpAfterLockTimeoutAndOthersAreNotSlowed() throws Exception {
    try (HookHarness h = new HookHarness(tmp, "on_error = closed\nlock_timeout = "
        + LOCK_TIMEOUT_S + "s\nmax_sessions = 10")) {
      // Without a stuck peer: bob's open and close, twice.
      List<Long> before = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        before.add(openAndClose(h, "bob"));
      }

      holder = new ProcessBuilder("/usr/bin/python3", "-c", HOLDER,
          h.runDir.resolve("locks/alice.lock").toString()).redirectErrorStream(true).start();
      assertEquals("locked", new BufferedReader(new InputStreamReader(holder.getInputStream()))
          .readLine());

      // alice waits for her lock while bob logs in and out twice.
      HookHarness.FakePriv alice = h.session("alice");
      long t0 = System.nanoTime();
      CompletableFuture<Integer> aliceExit = CompletableFuture.supplyAsync(() -> {
        try {
          return alice.run("open_session", -1);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      List<Long> during = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        during.add(openAndClose(h, "bob"));
      }
      boolean bobFinishedFirst = !aliceExit.isDone();
      int exit = aliceExit.get(LOCK_TIMEOUT_S + 60, TimeUnit.SECONDS);
      long aliceMillis = (System.nanoTime() - t0) / 1_000_000;

      assertEquals(ExitCode.STATE.code, exit, "on_error = closed refuses alice");
      assertTrue(aliceMillis >= LOCK_TIMEOUT_S * 1000L, "gave up early: " + aliceMillis + " ms");
      assertTrue(aliceMillis < LOCK_TIMEOUT_S * 1000L + 5000, "gave up late: " + aliceMillis);
      assertTrue(bobFinishedFirst, "bob's logins waited for alice's lock");
      String err = Files.readString(tmp.resolve("hooks.err"));
      assertTrue(err.lines().anyMatch(l -> l.startsWith("loginwarden: cannot use state: cannot "
          + "lock state of alice") && l.contains("lock_timeout")), err);
      assertTrue(!err.contains("Exception") && !err.contains("\tat "), err);
      assertTrue(Files.readString(h.auditLog).lines().anyMatch(l -> l.contains("\"event\":\"error\"")
          && l.contains("\"user\":\"alice\"") && l.contains("lock_timeout")), "audited");

      // on_error = open: the same wait, then the login goes on.
      h.config("on_error = open\nlock_timeout = " + LOCK_TIMEOUT_S + "s\nmax_sessions = 10");
      try (HookHarness.FakePriv again = h.session("alice")) {
        assertEquals(0, again.run("open_session", -1), "on_error = open lets alice in");
      }
      System.out.printf("stuck peer: lock_timeout %d s; alice's open gave up after %d ms; "
          + "bob's open+close took %s ms without the stuck peer, %s ms with it%n",
          LOCK_TIMEOUT_S, aliceMillis, before, during);
      long worstBefore = before.stream().mapToLong(Long::longValue).max().orElseThrow();
      long worstDuring = during.stream().mapToLong(Long::longValue).max().orElseThrow();
      // A JVM's start varies with the machine's load; a lock wait would add LOCK_TIMEOUT_S.
      assertTrue(worstDuring < worstBefore + LOCK_TIMEOUT_S * 1000L / 2,
          "bob slowed from " + before + " to " + during + " ms");
    }
  }

  /** One login of {@code user}, open and close hooks; returns the milliseconds both took. */
  private static long openAndClose(HookHarness h, String user) throws Exception {
    try (HookHarness.FakePriv p = h.session(user)) {
      long t0 = System.nanoTime();
      assertEquals(0, p.run("open_session", -1));
      assertEquals(0, p.run("close_session", -1));
      return (System.nanoTime() - t0) / 1_000_000;
    }
  }
}
