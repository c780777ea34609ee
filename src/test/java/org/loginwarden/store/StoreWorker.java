package org.loginwarden.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.loginwarden.core.Session;
import org.loginwarden.core.UserState;

/**
 * A child JVM for {@link FileStateStoreIT}: file locks are per process, so contention and
 * crashes can only be tested with real processes. Exit 0 on success; on failure, one line on
 * stderr and exit 1.
 *
 * <pre>
 * append STATE RUN READY GO ID K WHAT USER...
 *                                          K transactions, each appending one violation and, if
 *                                          WHAT is "both", one session; transaction i goes to
 *                                          user (ID + i) % n
 * loop   STATE RUN USER                    appends sequence numbers until killed, printing each
 *                                          one after its write returned
 * hold   STATE RUN USER                    takes the user's lock, prints "locked", sleeps
 * </pre>
 */
public final class StoreWorker {

  /** Violation i of writer w is at BASE + w * STRIDE + i seconds, so every one is unique. */
  static final Instant BASE = Instant.parse("2024-01-01T00:00:00Z");
  static final int STRIDE = 10_000;
  /** The crash loop keeps this many violations, so the file stays small and under the cap. */
  static final int LOOP_WINDOW = 20;

  private StoreWorker() {}

  public static void main(String[] args) {
    try {
      FileStateStore store = FileStateStore.open(Path.of(args[1]), Path.of(args[2]),
          Duration.ofSeconds(60), true, Clock.systemUTC(),
          line -> System.err.println("corruption: " + line));
      switch (args[0]) {
        case "append" -> append(store, args);
        case "loop" -> loop(store, args[3]);
        case "hold" -> hold(store, args[3]);
        default -> throw new IllegalArgumentException("unknown mode " + args[0]);
      }
      System.exit(0);
    } catch (Exception | AssertionError e) {
      System.err.println("worker failed: " + e);
      System.exit(1);
    }
  }

  private static void append(FileStateStore store, String[] args) throws Exception {
    Path ready = Path.of(args[3]);
    Path go = Path.of(args[4]);
    int id = Integer.parseInt(args[5]);
    int k = Integer.parseInt(args[6]);
    boolean sessionsToo = args[7].equals("both");
    List<String> users = List.of(args).subList(8, args.length);
    // Load the writing code before the start, on a user of its own: class loading inside the
    // lock would serialise 50 JVMs' start-up, not test the store. Then start all together.
    try (StateStore.Transaction tx = store.begin("warmup" + id)) {
      tx.write(tx.state().withViolations(List.of(BASE)).withSessions(List.of(session(0))));
      tx.write(UserState.empty("warmup" + id));
    }
    Files.createFile(ready.resolve(Integer.toString(id)));
    while (!Files.exists(go)) {
      Thread.sleep(5);
    }
    for (int i = 0; i < k; i++) {
      String user = users.get((id + i) % users.size());
      try (StateStore.Transaction tx = store.begin(user)) {
        UserState s = tx.state();
        List<Instant> violations = new ArrayList<>(s.violations());
        violations.add(BASE.plusSeconds((long) id * STRIDE + i));
        List<Session> sessions = new ArrayList<>(s.sessions());
        if (sessionsToo) {
          sessions.add(session((long) id * STRIDE + i));
        }
        tx.write(s.withViolations(violations).withSessions(sessions));
      }
    }
  }

  private static void loop(FileStateStore store, String user) throws Exception {
    while (true) {
      long seq;
      try (StateStore.Transaction tx = store.begin(user)) {
        UserState s = tx.state();
        List<Instant> violations = new ArrayList<>(s.violations());
        seq = violations.isEmpty() ? 0 : secondsAfterBase(violations.get(violations.size() - 1)) + 1;
        violations.add(BASE.plusSeconds(seq));
        if (violations.size() > LOOP_WINDOW) {
          violations.remove(0);
        }
        tx.write(s.withViolations(violations).withSessions(List.of(session(seq))));
      }
      System.out.println(seq);
    }
  }

  private static void hold(FileStateStore store, String user) throws Exception {
    try (StateStore.Transaction tx = store.begin(user)) {
      System.out.println("locked");
      Thread.sleep(60_000);
    }
  }

  static long secondsAfterBase(Instant t) {
    return t.getEpochSecond() - BASE.getEpochSecond();
  }

  /** A session whose pid carries the writer's number: the test finds lost ones by it. */
  static Session session(long pid) {
    return new Session(pid, pid, Session.NO_AUDIT_SESSION, "sshd", "192.0.2.1", 22, null,
        "publickey", null, BASE, null);
  }
}
