package org.loginwarden.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.loginwarden.core.Session;
import org.loginwarden.core.SessionKey;
import org.loginwarden.store.FileStateStore;
import org.loginwarden.store.StateStore;

/**
 * 200 real hook processes at once across 50 users, opens and closes interleaved: each user has
 * two recorded sessions closing while two new ones open. The records must equal the truth.
 */
class HookRaceIT {

  private static final int USERS = 50;

  @TempDir Path tmp;

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void twoHundredHooksAcrossFiftyUsersKeepExactRecords() throws Exception {
    // The point is what is recorded, not how fast: 200 JVMs on two cores wait long for locks.
    try (HookHarness h = new HookHarness(tmp, String.join("\n", "max_sessions = 1000",
        "on_error = closed", "lock_timeout = 60s"))) {
      FileStateStore store = h.store();
      Map<String, List<HookHarness.FakePriv>> closing = new HashMap<>();
      Map<String, List<HookHarness.FakePriv>> opening = new HashMap<>();
      for (int u = 0; u < USERS; u++) {
        String user = "racer" + u;
        List<HookHarness.FakePriv> old = List.of(h.session(user), h.session(user));
        // Recorded as their open hooks would have: this test is about the 200 that follow.
        try (StateStore.Transaction tx = store.begin(user)) {
          List<Session> recorded = new ArrayList<>();
          for (HookHarness.FakePriv p : old) {
            recorded.add(new Session(p.key.pid(), p.key.startTime(), auditSession(p.key.pid()),
                HookHarness.SERVICE, "192.0.2.7", 50022, null, null, null, Instant.now(), null));
          }
          tx.write(tx.state().withSessions(recorded));
        }
        closing.put(user, old);
        opening.put(user, List.of(h.session(user), h.session(user)));
      }

      // Interleaved per user: close, open, close, open; all 200 started together.
      List<CompletableFuture<String>> runs = new ArrayList<>();
      long start = System.nanoTime();
      for (int i = 0; i < 2; i++) {
        for (int u = 0; u < USERS; u++) {
          String user = "racer" + u;
          runs.add(run(closing.get(user).get(i), "close_session"));
          runs.add(run(opening.get(user).get(i), "open_session"));
        }
      }
      List<String> bad = new ArrayList<>();
      for (CompletableFuture<String> r : runs) {
        String problem = r.get(4, TimeUnit.MINUTES);
        if (problem != null) {
          bad.add(problem);
        }
      }
      long seconds = (System.nanoTime() - start) / 1_000_000_000;
      assertEquals(List.of(), bad, "hooks that failed; stderr:\n" + read(tmp.resolve("hooks.err")));

      for (int u = 0; u < USERS; u++) {
        String user = "racer" + u;
        Set<SessionKey> expected = new HashSet<>();
        opening.get(user).forEach(p -> expected.add(p.key));
        Set<SessionKey> actual = new HashSet<>();
        store.peek(user).sessions().forEach(s -> actual.add(s.key()));
        assertEquals(expected, actual, user + "'s records");
      }
      assertEquals(List.of(), h.heldLocks());
      assertEquals(List.of(), h.files(".corrupt-"));
      System.out.printf("200 hooks across %d users: all done in %d s, records exact%n", USERS,
          seconds);
    }
  }

  /** Runs a hook in the background; completes with null on exit 0, else a description. */
  private static CompletableFuture<String> run(HookHarness.FakePriv p, String type) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        int exit = p.run(type, -1);
        return exit == 0 ? null : type + " of " + p.user + " exited " + exit;
      } catch (Exception e) {
        return type + " of " + p.user + ": " + e;
      }
    }, command -> {
      Thread t = new Thread(command);
      t.setDaemon(true);
      t.start();
    });
  }

  static long auditSession(long pid) throws java.io.IOException {
    return Long.parseLong(Files.readString(Path.of("/proc", Long.toString(pid), "sessionid"))
        .strip());
  }

  private static String read(Path p) {
    try {
      return Files.exists(p) ? Files.readString(p) : "";
    } catch (java.io.IOException e) {
      return "";
    }
  }
}
