package org.loginwarden.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.loginwarden.core.Activity;
import org.loginwarden.core.Lock;
import org.loginwarden.core.SavedAccount;
import org.loginwarden.core.Session;
import org.loginwarden.core.UserState;
import org.loginwarden.pg.PostgresServer;

/** The fleet store against a real PostgreSQL: no mocks, every statement runs on the server. */
class PostgresStateStoreIT {

  private static final Duration DB_TIMEOUT = Duration.ofSeconds(2);
  private static final Instant T = Instant.parse("2026-11-22T10:00:00Z");

  private static PostgresServer pg;
  private static String database;
  private final List<PostgresStateStore> stores = new ArrayList<>();

  @TempDir Path tmp;

  @BeforeAll
  static void server() throws Exception {
    pg = PostgresServer.shared();
    database = pg.createDatabase();
    assertEquals(new FleetSchema.Upgrade(0, FleetSchema.VERSION),
        FleetSchema.init(pg.fleet(database, DB_TIMEOUT, null)));
  }

  @BeforeEach
  void emptyTables() throws Exception {
    pg.admin(database, "TRUNCATE lw_users, lw_hosts, lw_kicks, lw_audit");
  }

  @AfterEach
  void closeStores() {
    stores.forEach(PostgresStateStore::close);
  }

  private PostgresStateStore store(String host) throws Exception {
    return store(host, Duration.ofSeconds(5));
  }

  private PostgresStateStore store(String host, Duration lockTimeout) throws Exception {
    PostgresStateStore s = PostgresStateStore.open(pg.fleet(database, DB_TIMEOUT, host),
        lockTimeout, host);
    stores.add(s);
    return s;
  }

  private static Session session(long pid, String host, Instant ending) {
    return new Session(pid, pid * 7, 4000 + pid, "sshd", "192.0.2.9", 50022, "/dev/pts/3",
        "publickey", "ssh-ed25519 AAAAC3Nza", T, ending,
        new Activity(T.plusSeconds(30), 1234, "/dev/pts/3", null), host);
  }

  private static void write(StateStore store, UserState next) throws StoreException {
    try (StateStore.Transaction tx = store.begin(next.user())) {
      tx.write(next);
    }
  }

  @Test
  void everyStateTheFileStoreHoldsRoundTripsUnchanged() throws Exception {
    PostgresStateStore a = store("host-a");
    Lock lock = new Lock(T, T.plusSeconds(900), "violations", "loginwarden",
        new SavedAccount(false, "19999"));
    List<UserState> states = List.of(
        new UserState("alice", List.of(session(11, "host-a", null),
            session(12, "host-b", T.plusSeconds(5)),
            new Session(13, 1, Session.NO_AUDIT_SESSION, "sshd", null, 0, null, null, null, T,
                null)), List.of(T, T.plusSeconds(1)), lock, List.of(T.minusSeconds(60))),
        new UserState("bob", List.of(), List.of(), new Lock(T, null, "admin", "root", null)),
        new UserState("carol", List.of(), List.of(), null, List.of(T, T.plusMillis(1))),
        new UserState("dave\u00e9", List.of(session(20, null, null)), List.of(T), null));
    for (UserState s : states) {
      write(a, s);
    }
    PostgresStateStore other = store("host-b");
    for (UserState s : states) {
      assertEquals(s, other.peek(s.user()));
      try (StateStore.Transaction tx = other.begin(s.user())) {
        assertEquals(s, tx.state());
      }
    }
    // Stored exactly as the file store's two documents.
    UserState alice = states.get(0);
    try (Connection c = pg.connect(database); Statement st = c.createStatement();
        ResultSet r = st.executeQuery("SELECT sessions, persistent FROM lw_users WHERE name = "
            + "'alice'")) {
      assertTrue(r.next());
      assertEquals(new String(StateCodec.writeSessions("alice", alice.sessions()),
          StandardCharsets.UTF_8), r.getString(1));
      assertEquals(new String(StateCodec.writePersistent("alice", alice.violations(),
          alice.lock(), alice.authFailures()), StandardCharsets.UTF_8), r.getString(2));
    }
    assertEquals(List.of("alice", "bob", "carol", "dave\u00e9"), other.users());
    assertEquals(UserState.empty("nobody"), other.peek("nobody"));
  }

  @Test
  void anEmptyStateLeavesNoRow() throws Exception {
    PostgresStateStore a = store("host-a");
    write(a, new UserState("alice", List.of(session(1, "host-a", null)), List.of(), null));
    assertEquals(1, rows("lw_users"));
    write(a, UserState.empty("alice"));
    assertEquals(0, rows("lw_users"));
    assertEquals(List.of(), a.users());
  }

  @Test
  void aSweepSelectsTheUsersWithSessionsHereOrALock() throws Exception {
    PostgresStateStore a = store("host-a");
    PostgresStateStore b = store("host-b");
    write(a, new UserState("here", List.of(session(1, "host-a", null)), List.of(), null));
    write(a, new UserState("both", List.of(session(2, "host-b", null),
        session(3, "host-a", null)), List.of(), null));
    write(a, new UserState("there", List.of(session(4, "host-b", null)), List.of(T), null));
    write(a, UserState.empty("locked").withLock(new Lock(T, null, "admin", "root", null)));
    write(a, UserState.empty("counted").withViolations(List.of(T)));
    write(b, new UserState("unhosted", List.of(session(5, null, null)), List.of(), null));
    assertEquals(List.of("both", "here", "locked"), a.sweepable());
    assertEquals(List.of("both", "locked", "there", "unhosted"), b.sweepable());
    write(a, new UserState("here", List.of(), List.of(T), null));
    write(a, UserState.empty("locked"));
    assertEquals(List.of("both"), a.sweepable());
  }

  @Test
  void aSecondWriteInOneTransactionIsRefused() throws Exception {
    PostgresStateStore a = store("host-a");
    try (StateStore.Transaction tx = a.begin("alice")) {
      tx.write(tx.state().withViolations(List.of(T)));
      // Committing released the fleet-wide lock: a second write would not be under it.
      assertThrows(IllegalStateException.class, () -> tx.write(UserState.empty("alice")));
    }
    assertEquals(List.of(T), a.peek("alice").violations());
  }

  @Test
  void aKickReachesItsHostOnceAndOnlyThatHost() throws Exception {
    PostgresStateStore a = store("host-a");
    PostgresStateStore b = store("host-b");
    PostgresStateStore c = store("host-c");
    // LISTEN first: a notification sent before it is not delivered (the kick row still is).
    assertFalse(b.awaitNews(Duration.ofMillis(1)));
    assertFalse(c.awaitNews(Duration.ofMillis(1)));
    write(a, new UserState("alice", List.of(session(1, "host-b", null),
        session(2, "host-a", null)), List.of(), null));
    assertFalse(b.awaitNews(Duration.ofMillis(200)), "no kick yet");
    assertEquals(List.of(), b.takeKicks());

    try (StateStore.Transaction tx = a.begin("alice")) {
      tx.write(tx.state().withSessions(tx.state().sessions().stream()
          .map(s -> s.endingAt(T)).toList()).withViolations(List.of(T)));
    }
    long start = System.nanoTime();
    assertTrue(b.awaitNews(Duration.ofSeconds(5)));
    assertTrue(System.nanoTime() - start < Duration.ofSeconds(2).toNanos());
    assertEquals(List.of("alice"), b.takeKicks());
    assertEquals(List.of(), b.takeKicks());
    assertFalse(c.awaitNews(Duration.ofMillis(300)), "host-c has no session of alice");
    assertEquals(List.of(), c.takeKicks());
    assertEquals(List.of(), a.takeKicks(), "host-a ends its own sessions itself");

    // Writing the session again, still ending, is no new kick.
    try (StateStore.Transaction tx = a.begin("alice")) {
      tx.write(tx.state().withViolations(List.of()));
    }
    assertFalse(b.awaitNews(Duration.ofMillis(300)));
    assertEquals(List.of(), b.takeKicks());
  }

  @Test
  void aDecisionRolledBackTellsNobody() throws Exception {
    PostgresStateStore a = store("host-a");
    PostgresStateStore b = store("host-b");
    assertFalse(b.awaitNews(Duration.ofMillis(1)));
    write(a, new UserState("doomed", List.of(session(1, "host-b", null)), List.of(), null));
    // The row write fails after the kick and the NOTIFYs were queued in the transaction.
    pg.admin(database, "CREATE FUNCTION lw_test_refuse() RETURNS trigger LANGUAGE plpgsql AS"
        + " $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$");
    pg.admin(database, "CREATE TRIGGER lw_test_refuse BEFORE UPDATE ON lw_users FOR EACH ROW"
        + " WHEN (NEW.name = 'doomed') EXECUTE FUNCTION lw_test_refuse()");
    try {
      try (StateStore.Transaction tx = a.begin("doomed")) {
        UserState next = tx.state().withSessions(List.of(session(1, "host-b", T)))
            .withLock(new Lock(T, null, "violations", "loginwarden", null));
        StoreException e = assertThrows(StoreException.class, () -> tx.write(next));
        assertEquals("cannot write state of doomed: P0001 refused by the test", e.getMessage());
      }
      assertFalse(b.awaitNews(Duration.ofMillis(500)), "a rolled-back kick was announced");
      assertEquals(List.of(), b.takeKicks());
      assertNull(a.peek("doomed").lock());
      // The store is usable after the failure.
      write(a, UserState.empty("carol").withViolations(List.of(T)));
      assertEquals(List.of(T), a.peek("carol").violations());
    } finally {
      pg.admin(database, "DROP TRIGGER lw_test_refuse ON lw_users");
      pg.admin(database, "DROP FUNCTION lw_test_refuse()");
    }
  }

  @Test
  void aLockOrUnlockWakesEveryHost() throws Exception {
    PostgresStateStore a = store("host-a");
    PostgresStateStore b = store("host-b");
    PostgresStateStore c = store("host-c");
    assertFalse(b.awaitNews(Duration.ofMillis(1)));
    assertFalse(c.awaitNews(Duration.ofMillis(1)));
    Lock lock = new Lock(T, null, "admin", "root", null);
    write(a, UserState.empty("alice").withLock(lock));
    assertTrue(b.awaitNews(Duration.ofSeconds(5)));
    assertTrue(c.awaitNews(Duration.ofSeconds(5)));
    write(a, UserState.empty("alice").withLock(lock).withViolations(List.of(T)));
    assertFalse(b.awaitNews(Duration.ofMillis(300)), "the lock did not change");
    write(a, UserState.empty("alice"));
    assertTrue(b.awaitNews(Duration.ofSeconds(5)));
    assertEquals(List.of(), b.takeKicks());
  }

  @Test
  void heartbeatsAreAgedByTheDatabaseClock() throws Exception {
    PostgresStateStore a = store("host-a");
    PostgresStateStore b = store("host-b");
    assertEquals(Map.of(), a.heartbeatAges());
    a.heartbeat();
    b.heartbeat();
    pg.admin(database, "UPDATE lw_hosts SET heartbeat = now() - interval '40 seconds' WHERE "
        + "host_id = 'host-b'");
    Map<String, Duration> ages = a.heartbeatAges();
    assertEquals(Set.of("host-a", "host-b"), ages.keySet());
    assertTrue(ages.get("host-a").compareTo(Duration.ofSeconds(5)) < 0, ages::toString);
    assertTrue(ages.get("host-b").compareTo(Duration.ofSeconds(40)) >= 0
        && ages.get("host-b").compareTo(Duration.ofSeconds(45)) < 0, ages::toString);
    b.heartbeat();
    assertTrue(a.heartbeatAges().get("host-b").compareTo(Duration.ofSeconds(5)) < 0);
  }

  @Test
  void aHeldUserWaitsLockTimeoutWhileOthersGoStraightIn() throws Exception {
    PostgresStateStore holder = store("host-a");
    PostgresStateStore waiter = store("host-b", Duration.ofMillis(800));
    waiter.peek("bob"); // connected beforehand: time the lock, not the connect
    try (StateStore.Transaction held = holder.begin("alice")) {
      long start = System.nanoTime();
      StoreException e = assertThrows(StoreException.class, () -> waiter.begin("alice"));
      long waited = (System.nanoTime() - start) / 1_000_000;
      assertEquals("cannot lock state of alice: 55P03 still held by another process after "
          + "800 ms (lock_timeout)", e.getMessage());
      assertTrue(waited >= 750 && waited < 2000, "waited " + waited + " ms");
      System.out.println("PostgresStateStoreIT: begin on a held user failed after " + waited
          + " ms (lock_timeout 800 ms)");

      start = System.nanoTime();
      try (StateStore.Transaction other = waiter.begin("bob")) {
        other.write(other.state().withViolations(List.of(T)));
      }
      long bob = (System.nanoTime() - start) / 1_000_000;
      // Had bob waited on alice's lock, begin would have thrown after lock_timeout.
      assertTrue(bob < 1000, "bob waited " + bob + " ms");
      held.write(held.state().withViolations(List.of(T)));
    }
    try (StateStore.Transaction tx = waiter.begin("alice")) {
      assertEquals(List.of(T), tx.state().violations());
    }
  }

  @Test
  void aClosedTransactionReleasesTheUserAndWritesNothing() throws Exception {
    PostgresStateStore a = store("host-a");
    PostgresStateStore b = store("host-b", Duration.ofMillis(500));
    try (StateStore.Transaction tx = a.begin("alice")) {
      assertTrue(tx.state().isEmpty());
    }
    try (StateStore.Transaction tx = b.begin("alice")) {
      assertTrue(tx.state().isEmpty());
    }
    assertEquals(0, rows("lw_users"));
    assertThrows(IllegalStateException.class, () -> {
      try (StateStore.Transaction tx = a.begin("alice")) {
        a.begin("bob");
      }
    });
    try (StateStore.Transaction tx = b.begin("alice")) {
      assertTrue(tx.state().isEmpty(), "the nested attempt left the lock held");
    }
  }

  /**
   * Many processes, one user, read-modify-write each: every increment must survive. Without the
   * advisory lock (or with the read in the lock's statement) updates are lost.
   */
  @Test
  void concurrentTransactionsFromManyProcessesLoseNoUpdate() throws Exception {
    int workers = 8;
    int each = 25;
    Path ready = Files.createDirectory(tmp.resolve("ready"));
    Path go = tmp.resolve("go");
    List<Process> children = new ArrayList<>();
    try {
      for (int id = 0; id < workers; id++) {
        children.add(new ProcessBuilder(javaBinary(), "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1", "-Xmx64m", "-cp", FileStateStoreIT.testClassPath(),
            PgStoreWorker.class.getName(), pg.url(database), pg.passwordFile().toString(),
            ready.toString(), go.toString(), Integer.toString(id), Integer.toString(each),
            "shared")
            .redirectOutput(tmp.resolve("w" + id + ".out").toFile())
            .redirectError(tmp.resolve("w" + id + ".err").toFile()).start());
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (count(ready) < workers) {
        for (int id = 0; id < workers; id++) {
          int n = id;
          assertTrue(children.get(id).isAlive() || children.get(id).exitValue() == 0,
              () -> "worker " + n + " died: " + err(n));
        }
        assertTrue(System.nanoTime() < deadline, "workers not ready in 60 s");
        Thread.sleep(20);
      }
      long start = System.nanoTime();
      Files.createFile(go);
      for (int id = 0; id < workers; id++) {
        Process p = children.get(id);
        assertTrue(p.waitFor(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS),
            "worker " + id + " still running");
        int n = id;
        assertEquals(0, p.exitValue(), () -> "worker " + n + ": " + err(n));
      }
      long ms = (System.nanoTime() - start) / 1_000_000;
      System.out.println("PostgresStateStoreIT: " + workers * each + " transactions from "
          + workers + " processes on one user in " + ms + " ms");
    } finally {
      children.forEach(Process::destroyForcibly);
    }
    List<Instant> violations = store("host-x").peek("shared").violations();
    assertEquals(workers * each, violations.size(), "lost updates");
    Set<Instant> expected = new HashSet<>();
    for (int id = 0; id < workers; id++) {
      for (int i = 0; i < each; i++) {
        expected.add(PgStoreWorker.BASE.plusSeconds((long) id * PgStoreWorker.STRIDE + i));
      }
    }
    assertEquals(expected, new HashSet<>(violations));
  }

  @Test
  void aStoreReconnectsAfterTheServerRestarts() throws Exception {
    PostgresStateStore a = store("host-a");
    write(a, UserState.empty("alice").withViolations(List.of(T)));
    pg.stop();
    try {
      long start = System.nanoTime();
      StoreException e = assertThrows(StoreException.class, () -> a.begin("alice"));
      long broken = (System.nanoTime() - start) / 1_000_000;
      start = System.nanoTime();
      StoreException e2 = assertThrows(StoreException.class, () -> a.begin("alice"));
      long refused = (System.nanoTime() - start) / 1_000_000;
      System.out.println("PostgresStateStoreIT: server stopped: begin failed after " + broken
          + " ms on the old connection (" + e.getMessage() + "), then after " + refused
          + " ms on connect (" + e2.getMessage() + ")");
      assertTrue(broken < DB_TIMEOUT.toMillis() + 1000 && refused < DB_TIMEOUT.toMillis() + 1000);
      assertTrue(e2.getMessage().startsWith("cannot connect to postgresql://127.0.0.1:"
          + pg.port() + "/" + database + ": 08001 connection refused"), e2.getMessage());
    } finally {
      pg.start();
    }
    try (StateStore.Transaction tx = a.begin("alice")) {
      assertEquals(List.of(T), tx.state().violations());
    }
  }

  /**
   * A backend that stops answering mid-session (SIGSTOP: a hung server, a dead network path)
   * costs one db_timeout, then the store connects afresh.
   */
  @Test
  void aServerThatStopsAnsweringCostsOneDbTimeout() throws Exception {
    PostgresStateStore a = store("host-stalled");
    a.heartbeat();
    Stalled stalled = beginWithItsBackendStopped(a);
    StoreException e = stalled.error();
    long ms = stalled.millis();
    System.out.println("PostgresStateStoreIT: a backend that stopped answering: begin failed "
        + "after " + ms + " ms with db_timeout 2 s (" + e.getMessage() + ")");
    assertTrue(ms >= 1900 && ms < 3500, "waited " + ms + " ms");
    try (StateStore.Transaction tx = a.begin("alice")) {
      assertTrue(tx.state().isEmpty(), "connected again");
    }
  }

  private static void signal(String sig, long pid) throws Exception {
    Process p = new ProcessBuilder("/bin/kill", "-" + sig, Long.toString(pid)).start();
    assertTrue(p.waitFor(10, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue());
  }

  /** The README's grants, and nothing more, are enough for everything a host does. */
  @Test
  void aRoleWithTheDocumentedGrantsOnlyCanDoEverything() throws Exception {
    Path password = pg.createRole("lw_least");
    pg.admin(database, "GRANT SELECT ON lw_schema TO lw_least");
    pg.admin(database, "GRANT SELECT, INSERT, UPDATE, DELETE ON lw_users, lw_hosts, lw_kicks"
        + " TO lw_least");
    pg.admin(database, "GRANT SELECT, INSERT ON lw_audit TO lw_least");
    pg.admin(database, "GRANT USAGE ON SEQUENCE lw_audit_id_seq TO lw_least");
    java.util.function.Function<String, PostgresStateStore> host = id -> {
      PostgresStateStore s = PostgresStateStore.open(new org.loginwarden.config.Fleet(
          pg.url(database), "lw_least", password, DB_TIMEOUT, id, DB_TIMEOUT),
          Duration.ofSeconds(5), id);
      stores.add(s);
      return s;
    };
    PostgresStateStore a = host.apply("host-a");
    PostgresStateStore b = host.apply("host-b");
    assertFalse(b.awaitNews(Duration.ofMillis(1)));
    write(a, new UserState("alice", List.of(session(1, "host-b", null)), List.of(), null));
    try (StateStore.Transaction tx = a.begin("alice")) {
      tx.write(tx.state().withSessions(List.of(session(1, "host-b", T)))
          .withLock(new Lock(T, null, "violations", "loginwarden", null)));
    }
    assertTrue(b.awaitNews(Duration.ofSeconds(5)));
    assertEquals(List.of("alice"), b.takeKicks());
    a.heartbeat();
    assertEquals(Set.of("host-a"), b.heartbeatAges().keySet());
    assertEquals(List.of("alice"), b.users());
    write(b, UserState.empty("alice"));
    assertTrue(a.peek("alice").isEmpty());
    a.appendAudit(List.of(auditLine(T, "alice", "lock")));
    assertEquals(List.of(auditLine(T, "alice", "lock")), readAudit(b, null, null, null));
    // A host can add to the trail, never rewrite it.
    try (Connection c = java.sql.DriverManager.getConnection("jdbc:" + pg.url(database)
        .substring("jdbc:".length()), "lw_least", Files.readString(password).strip());
        Statement s = c.createStatement()) {
      for (String rewrite : List.of("DELETE FROM lw_audit", "UPDATE lw_audit SET line = ''")) {
        java.sql.SQLException denied = assertThrows(java.sql.SQLException.class,
            () -> s.execute(rewrite));
        assertEquals("42501", denied.getSQLState(), rewrite);
      }
    }
    try (Connection c = pg.connect(database); Statement s = c.createStatement()) {
      s.execute("REVOKE ALL ON lw_users, lw_hosts, lw_kicks, lw_schema FROM lw_least");
    }
    StoreException e = assertThrows(StoreException.class,
        () -> host.apply("host-c").users());
    assertEquals("cannot read the schema version of postgresql://127.0.0.1:" + pg.port() + "/"
        + database + ": 42501 permission denied for table lw_schema", e.getMessage());
  }

  /** An audit line as AuditLog writes one (the store reads only time, user and event). */
  private static String auditLine(Instant time, String user, String event) {
    return "{\"time\":\"" + time + "\",\"host\":\"h\",\"event\":\"" + event
        + "\",\"user\":\"" + user + "\",\"reason\":\"r\",\"by\":\"loginwarden\"}";
  }

  private static List<String> readAudit(PostgresStateStore s, String user, Instant since,
      Instant until) throws StoreException {
    List<String> lines = new ArrayList<>();
    s.readAudit(user, since, until, lines::add);
    return lines;
  }

  @Test
  void everyHostsAuditLinesMakeOneTrailInTimeOrderEachLineOnce() throws Exception {
    PostgresStateStore a = store("host-a");
    PostgresStateStore b = store("host-b");
    String aliceOnA = auditLine(T, "alice", "open");
    String bobOnB = auditLine(T.plusSeconds(1), "bob", "open");
    String aliceOnB = auditLine(T.plusSeconds(2), "alice", "violation");
    String aliceClosed = auditLine(T.plusSeconds(3), "alice", "close");
    b.appendAudit(List.of(bobOnB, aliceOnB));
    a.appendAudit(List.of(aliceOnA));
    a.appendAudit(List.of(aliceClosed));
    // Sent again after an unknown outcome (a lost commit, a crash before the outbox is
    // cleared): kept once.
    a.appendAudit(List.of(aliceOnA, aliceClosed));
    a.appendAudit(List.of());
    assertEquals(4, rows("lw_audit"));
    // The same line from another host is another record.
    b.appendAudit(List.of(aliceOnA));
    assertEquals(5, rows("lw_audit"));

    assertEquals(List.of(aliceOnA, aliceOnA, bobOnB, aliceOnB, aliceClosed),
        readAudit(b, null, null, null));
    assertEquals(List.of(aliceOnA, aliceOnA, aliceOnB, aliceClosed),
        readAudit(a, "alice", null, null));
    assertEquals(List.of(bobOnB, aliceOnB), readAudit(a, null, T.plusSeconds(1),
        T.plusSeconds(3)), "since inclusive, until exclusive");
    assertEquals(List.of(), readAudit(a, "carol", null, null));
    assertEquals(List.of("host-a", "host-b", "host-b", "host-b", "host-a"),
        pg.strings(database, "SELECT host_id FROM lw_audit ORDER BY time, host_id"));
  }

  @Test
  void aLongTrailIsStreamedNotLoadedAtOnce() throws Exception {
    PostgresStateStore a = store("host-a");
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      lines.add(auditLine(T.plusMillis(i), "u" + (i % 7), "open"));
    }
    a.appendAudit(lines);
    int[] seen = {0};
    Instant[] last = {Instant.MIN};
    a.readAudit(null, null, null, l -> {
      Instant t = Instant.parse(l.substring(9, l.indexOf('"', 9)));
      assertFalse(t.isBefore(last[0]), "in time order");
      last[0] = t;
      seen[0]++;
    });
    assertEquals(5000, seen[0]);
    // The store is usable afterwards: back in autocommit with its usual timeouts.
    write(a, UserState.empty("alice").withViolations(List.of(T)));
    assertEquals(List.of(T), store("host-b").peek("alice").violations());
  }

  /**
   * A login's store spends at most db_timeout on the database in all: connect and statements
   * together, however the time is split, not db_timeout per step.
   */
  @Test
  void aLoginSpendsAtMostDbTimeoutOnTheDatabaseInAll() throws Exception {
    Duration budget = Duration.ofMillis(1500);
    PostgresStateStore login = PostgresStateStore.forLogin(pg.fleet(database, budget,
        "host-login"), Duration.ofSeconds(5), "host-login");
    stores.add(login);
    long start = System.nanoTime();
    login.heartbeat(); // connects: a part of the budget
    Stalled stall = beginWithItsBackendStopped(login);
    StoreException e = stall.error();
    long stalled = stall.millis();
    long total = (System.nanoTime() - start) / 1_000_000;
    System.out.println("PostgresStateStoreIT: a login whose server stopped answering gave up "
        + "after " + total + " ms in all (" + stalled + " ms stalled) with db_timeout 1.5 s: "
        + e.getMessage());
    assertEquals("cannot lock state of alice: 08006 no answer within db_timeout",
        e.getMessage());
    // Per step it would have been 2 s (whole seconds) for the stalled statement alone.
    assertTrue(total >= 1400 && total < 1900, "spent " + total + " ms");
    long again = System.nanoTime();
    e = assertThrows(StoreException.class, () -> login.peek("alice"));
    assertTrue((System.nanoTime() - again) / 1_000_000 < 200, "no time left: fails at once");
    assertEquals("cannot read state of alice: no answer within db_timeout", e.getMessage());
  }

  /**
   * What a login does between its calls (reading /proc, waiting for a session to settle) and
   * its wait for another login of the same user are not the database's time.
   */
  @Test
  void aLoginsTimeBetweenCallsAndForTheUsersLockIsNotCounted() throws Exception {
    Duration budget = Duration.ofMillis(1000);
    PostgresStateStore login = PostgresStateStore.forLogin(pg.fleet(database, budget,
        "host-login"), Duration.ofSeconds(5), "host-login");
    stores.add(login);
    PostgresStateStore holder = store("host-a");
    assertTrue(login.peek("alice").isEmpty());
    Thread.sleep(budget.toMillis() + 200); // the hook's own work between two calls
    assertTrue(login.peek("alice").isEmpty());
    StateStore.Transaction held = holder.begin("alice");
    Thread release = new Thread(() -> {
      try {
        Thread.sleep(budget.toMillis() + 500);
        held.write(held.state().withViolations(List.of(T)));
      } catch (InterruptedException | StoreException ex) {
        held.close();
      }
    });
    release.start();
    long start = System.nanoTime();
    try (StateStore.Transaction tx = login.begin("alice")) {
      long waited = (System.nanoTime() - start) / 1_000_000;
      System.out.println("PostgresStateStoreIT: a login waited " + waited + " ms for the user's "
          + "lock with db_timeout 1 s, and went on");
      assertTrue(waited >= budget.toMillis(), "waited " + waited + " ms");
      assertEquals(List.of(T), tx.state().violations());
      tx.write(tx.state().withViolations(List.of(T, T.plusSeconds(1))));
    }
    release.join(10_000);
    assertEquals(2, holder.peek("alice").violations().size());
  }

  private record Stalled(StoreException error, long millis) {}

  /**
   * {@code begin("alice")} on a store connected last, its backend stopped meanwhile (SIGSTOP:
   * a hung server, a dead network path): what it threw, after how many ms.
   */
  private static Stalled beginWithItsBackendStopped(PostgresStateStore s) throws Exception {
    long backend = newestBackend();
    signal("STOP", backend);
    try {
      long start = System.nanoTime();
      StoreException e = assertThrows(StoreException.class, () -> s.begin("alice"));
      return new Stalled(e, (System.nanoTime() - start) / 1_000_000);
    } finally {
      signal("CONT", backend);
    }
  }

  /** The backend of the store that connected last (those of closed stores may linger). */
  private static long newestBackend() throws Exception {
    try (Connection c = pg.connect(database); Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT pid FROM pg_stat_activity WHERE application_name"
            + " = 'loginwarden' AND datname = current_database()"
            + " ORDER BY backend_start DESC LIMIT 1")) {
      assertTrue(r.next(), "the store's backend");
      return r.getLong(1);
    }
  }


  private long rows(String table) throws Exception {
    try (Connection c = pg.connect(database); Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT count(*) FROM " + table)) {
      r.next();
      return r.getLong(1);
    }
  }

  private String err(int id) {
    try {
      return Files.readString(tmp.resolve("w" + id + ".err")).strip();
    } catch (java.io.IOException e) {
      return "(no stderr)";
    }
  }

  private static long count(Path dir) throws java.io.IOException {
    try (var files = Files.list(dir)) {
      return files.count();
    }
  }

  private static String javaBinary() {
    return ProcessHandle.current().info().command()
        .orElse(System.getProperty("java.home") + File.separator + "bin" + File.separator
            + "java");
  }
}
