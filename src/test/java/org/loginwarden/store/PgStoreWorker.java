package org.loginwarden.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.loginwarden.config.Fleet;
import org.loginwarden.core.UserState;

/**
 * A child JVM for {@link PostgresStateStoreIT}: one process, one connection, K read-modify-write
 * transactions on one user, each appending a violation unique to this worker and step. Exit 0
 * on success; on failure one line on stderr and exit 1.
 *
 * <pre>
 * URL PASSWORD_FILE READY GO ID K USER
 * </pre>
 */
public final class PgStoreWorker {

  static final Instant BASE = Instant.parse("2024-01-01T00:00:00Z");
  static final int STRIDE = 10_000;

  private PgStoreWorker() {}

  public static void main(String[] args) {
    try {
      Fleet fleet = new Fleet(args[0], "loginwarden", Path.of(args[1]), Duration.ofSeconds(10),
          null, Duration.ofSeconds(30));
      Path ready = Path.of(args[2]);
      Path go = Path.of(args[3]);
      int id = Integer.parseInt(args[4]);
      int k = Integer.parseInt(args[5]);
      String user = args[6];
      try (PostgresStateStore store = PostgresStateStore.open(fleet, Duration.ofSeconds(60),
          "host-" + id)) {
        // Connect and load the code before the start, so the workers race on the lock only.
        store.peek(user);
        Files.createFile(ready.resolve(Integer.toString(id)));
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (!Files.exists(go)) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("no go signal");
          }
          Thread.sleep(5);
        }
        for (int i = 0; i < k; i++) {
          try (StateStore.Transaction tx = store.begin(user)) {
            UserState s = tx.state();
            List<Instant> violations = new ArrayList<>(s.violations());
            violations.add(BASE.plusSeconds((long) id * STRIDE + i));
            tx.write(s.withViolations(violations));
          }
        }
      }
      System.exit(0);
    } catch (Exception | AssertionError e) {
      System.err.println("worker failed: " + e);
      System.exit(1);
    }
  }
}
