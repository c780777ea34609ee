package org.loginwarden.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.loginwarden.config.Fleet;
import org.loginwarden.core.UserState;
import org.loginwarden.pg.PostgresServer;
import org.loginwarden.store.PostgresStateStore;
import org.loginwarden.store.StoreException;

/**
 * Fleet mode end to end: three simulated hosts ({@link FleetHost}: each a private sshd in its
 * own PID and mount namespaces with its own /etc/shadow, none able to see or signal another's
 * processes) share one real PostgreSQL, each with its watcher running inside it. Whatever one
 * host decides about another host's session can only travel through the database.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FleetIT {

  static final Duration BOUND = Duration.ofSeconds(30);
  static final String HOLD = SshdTestBase.HOLD;
  static final int SPREAD_USERS = 30;
  /** Every host's db_timeout. */
  static final Duration DB_TIMEOUT = Duration.ofSeconds(5);
  /**
   * What a refused login may take beyond db_timeout: ssh, and one hook run (a JVM, about
   * 0.3 s alone, several times that on two busy cores).
   */
  static final Duration USUAL_ALLOWANCE = Duration.ofSeconds(5);

  PostgresServer pg;
  String database;
  Fleet fleet;
  /** The test's own view of the fleet's database. */
  PostgresStateStore db;
  Path work;
  FleetHost a;
  FleetHost b;
  FleetHost c;
  Clients onA;
  Clients onB;
  Clients onC;
  TestUser kicked;
  TestUser locked;
  TestUser stranded;
  TestUser outage;
  TestUser storm;
  TestUser shut;
  TestUser exempted;
  final List<TestUser> spread = new ArrayList<>();
  final List<TestUser> everyone = new ArrayList<>();
  final List<Process> logins = Collections.synchronizedList(new ArrayList<>());

  @BeforeAll
  void start() throws Exception {
    PrivateSshd.assumeAvailable();
    pg = PostgresServer.shared();
    database = pg.createDatabase();
    fleet = pg.fleet(database, Duration.ofSeconds(2), "test");
    work = Files.createTempDirectory("lw-fleet-");
    kicked = user();
    locked = user();
    stranded = user();
    outage = user();
    storm = user();
    shut = user();
    exempted = user();
    for (int i = 0; i < SPREAD_USERS; i++) {
      spread.add(user());
    }
    String config = String.join("\n",
        "store = postgresql",
        "db_url = " + pg.url(database),
        "db_user = " + PostgresServer.ROLE,
        "db_password_file = " + pg.passwordFile(),
        // 5 s, not the default 2 s: ten cold JVMs at once on two cores can take more than 2 s
        // to connect (SCRAM's 4,096 rounds in a cold JVM), which would make a storm an outage.
        "db_timeout = " + DB_TIMEOUT.toSeconds() + "s",
        "host_timeout = 5s",
        "sweep_interval = 1s",
        "kill_grace = 2s",
        "violations = 100",
        "[user " + locked.name + "]",
        "violations = 2",
        "[user " + storm.name + "]",
        "violations = 3");
    a = FleetHost.start("a", config);
    b = FleetHost.start("b", config);
    c = FleetHost.start("c", config);
    Exec.Result init = a.cli("db", "init");
    assertEquals(0, init.exit(), init.all());
    for (FleetHost h : hosts()) {
      h.startWatcher();
    }
    onA = new Clients(a.sshd);
    onB = new Clients(b.sshd);
    onC = new Clients(c.sshd);
    db = PostgresStateStore.open(fleet, Duration.ofSeconds(5), "test");
    Exec.await(BOUND, "every host's heartbeat", () -> {
      try {
        return db.heartbeatAges().keySet().containsAll(List.of("a", "b", "c"));
      } catch (StoreException e) {
        return false;
      }
    });
  }

  @AfterAll
  void stop() throws Exception {
    logins.forEach(Process::destroyForcibly);
    try {
      if (db != null) {
        db.close();
      }
      for (FleetHost h : new FleetHost[] {a, b, c}) {
        if (h != null) {
          h.close();
        }
      }
    } finally {
      everyone.forEach(TestUser::close);
      Exec.run("/bin/rm", "-rf", work.toString());
      if (pg != null && !pg.running()) {
        pg.start();
      }
    }
  }

  TestUser user() throws IOException {
    TestUser u = TestUser.create(work);
    everyone.add(u);
    return u;
  }

  List<FleetHost> hosts() {
    return List.of(a, b, c);
  }

  Process hold(Clients on, TestUser u) throws IOException {
    Process p = on.start(u, List.of(), HOLD);
    logins.add(p);
    return p;
  }

  UserState state(TestUser u) {
    try {
      return db.peek(u.name);
    } catch (StoreException e) {
      try {
        // The first call after a database restart finds its connection gone, and reconnects.
        return db.peek(u.name);
      } catch (StoreException again) {
        throw new AssertionError(again);
      }
    }
  }

  /** Sessions of the user the database holds on {@code host}, not being ended. */
  long live(TestUser u, String host) {
    return state(u).sessions().stream()
        .filter(s -> host.equals(s.host()) && s.ending() == null).count();
  }

  void awaitLive(TestUser u, String host) {
    Exec.await(BOUND, u.name + "'s session on " + host + " to be recorded",
        () -> live(u, host) == 1);
  }

  void awaitNothingLeft(TestUser u) {
    for (FleetHost h : hosts()) {
      Exec.await(BOUND, "no process of " + u.name + " on " + h.name,
          () -> h.processesOf(u).isEmpty());
    }
    Exec.await(BOUND, "no session of " + u.name + " in the database",
        () -> state(u).sessions().isEmpty());
  }

  record Login(Exec.Result result, long millis) {}

  /** A key login running {@code command}, and its wall time in ms. */
  static Login login(Clients on, TestUser u, String command) {
    long start = System.nanoTime();
    Exec.Result r = on.sshKey(u, command);
    return new Login(r, (System.nanoTime() - start) / 1_000_000);
  }

  static Instant auditTime(FleetHost h, String event, TestUser u) {
    List<com.fasterxml.jackson.databind.JsonNode> events = h.sshd.auditEvents(event, u.name);
    assertFalse(events.isEmpty(), "no " + event + " of " + u.name + " on " + h.name);
    return Instant.parse(events.get(events.size() - 1).path("time").asText());
  }

  @Test
  @Order(1)
  void aLoginOnAThenOnBEndsBothWithinTwoSeconds() throws IOException {
    List<Long> millis = new ArrayList<>();
    for (int round = 0; round < 3; round++) {
      Process first = hold(onA, kicked);
      awaitLive(kicked, "a");
      int violationsBefore = b.sshd.auditEvents("violation", kicked.name).size();

      Exec.Result second = onB.sshKey(kicked, "echo second-ran");
      assertNotEquals(0, second.exit(), second.all());
      assertFalse(second.out().contains("second-ran"), second.all());
      Exec.await(BOUND, "A's session to be ended by A's watcher",
          () -> !first.isAlive() && a.processesOf(kicked).isEmpty());
      long goneAt = System.currentTimeMillis();
      assertEquals(violationsBefore + 1, b.sshd.auditEvents("violation", kicked.name).size(),
          b.sshd.audit());
      // From B's decision (its audit line) to A's last process gone: the trip through the
      // database and A's watcher. Bounded by how often this test polls (20 ms).
      millis.add(goneAt - auditTime(b, "violation", kicked).toEpochMilli());
      awaitNothingLeft(kicked);
    }
    List<Long> sorted = new ArrayList<>(millis);
    Collections.sort(sorted);
    System.out.println("fleet cross-host kick, B's violation to A's last process gone (ms): "
        + millis + "; median " + sorted.get(1) + ", worst " + sorted.get(2));
    assertTrue(sorted.get(2) <= 2000, "each within 2 s: " + millis);

    // One audit trail: C, where the user never logged in, shows what A and B decided.
    List<String> fleetWide = auditLines(c, "--user", kicked.name);
    assertTrue(fleetWide.stream().anyMatch(l -> hostAndEvent(l, "a", "open")), fleetWide
        .toString());
    assertTrue(fleetWide.stream().anyMatch(l -> hostAndEvent(l, "b", "violation")),
        fleetWide.toString());
    assertEquals(3, fleetWide.stream().filter(l -> hostAndEvent(l, "b", "violation")).count(),
        "each line once: " + fleetWide);
    Exec.Result table = c.cli("audit", "--user", kicked.name, "--event", "violation");
    assertEquals(0, table.exit(), table.all());
    assertTrue(table.out().startsWith("TIME") && table.out().contains(" HOST ")
        && table.out().contains("listed from the fleet database"), table.out());
    // --local: this host's own file, A's decisions only.
    List<String> onlyA = auditLines(a, "--local", "--user", kicked.name);
    assertTrue(onlyA.stream().anyMatch(l -> hostAndEvent(l, "a", "open")), onlyA.toString());
    assertTrue(onlyA.stream().noneMatch(l -> l.contains("\"hostId\":\"b\"")),
        onlyA.toString());
  }

  /** {@code audit --json} on a host, one line per record. */
  static List<String> auditLines(FleetHost on, String... filters) {
    List<String> args = new ArrayList<>(List.of("audit", "--json"));
    args.addAll(List.of(filters));
    Exec.Result r = on.cli(args.toArray(String[]::new));
    assertEquals(0, r.exit(), r.all());
    return r.out().lines().filter(l -> !l.isBlank()).toList();
  }

  static boolean hostAndEvent(String line, String hostId, String event) {
    return line.contains("\"hostId\":\"" + hostId + "\"")
        && line.contains("\"event\":\"" + event + "\"");
  }

  @Test
  @Order(2)
  void violationsOnAAndBLockOnEveryHostAndUnlockOnBRestoresEachShadow() throws IOException {
    byte[] shadowA = a.readShadow();
    byte[] shadowB = b.readShadow();
    byte[] shadowC = c.readShadow();

    // Violation 1 on B, violation 2 on A: violations = 2 locks the user fleet-wide.
    Process onAFirst = hold(onA, locked);
    awaitLive(locked, "a");
    assertNotEquals(0, onB.sshKey(locked, "true").exit());
    Exec.await(BOUND, "A's first session to end", () -> !onAFirst.isAlive());
    awaitNothingLeft(locked);
    Process onBFirst = hold(onB, locked);
    awaitLive(locked, "b");
    assertNotEquals(0, onA.sshKey(locked, "true").exit());
    Exec.await(BOUND, "B's session to end", () -> !onBFirst.isAlive());
    awaitNothingLeft(locked);
    assertEquals("violations", state(locked).lock().reason());

    // Every host mirrors the lock into its own /etc/shadow, and refuses key and password.
    for (FleetHost h : hosts()) {
      Exec.await(BOUND, h.name + "'s shadow to lock " + locked.name,
          () -> shadowField(h, locked).startsWith("!"));
    }
    assertNotEquals(0, onA.sshKey(locked, "echo in").exit(), "a key on A");
    assertNotEquals(0, onB.sshPassword(locked, "echo in").exit(), "a password on B");
    assertNotEquals(0, onC.sshKey(locked, "echo in").exit(), "a key on C");

    // unlock on B: every host's /etc/shadow back, byte for byte.
    Exec.Result unlock = b.cli("unlock", locked.name);
    assertEquals(0, unlock.exit(), unlock.all());
    for (FleetHost h : hosts()) {
      byte[] before = h == a ? shadowA : h == b ? shadowB : shadowC;
      Exec.await(BOUND, h.name + "'s shadow to be restored", () -> {
        try {
          return java.util.Arrays.equals(before, h.readShadow());
        } catch (IOException e) {
          throw new AssertionError(e);
        }
      });
      assertArrayEquals(before, h.readShadow(), h.name + "'s /etc/shadow byte for byte");
    }
    Exec.Result again = onA.sshKey(locked, "echo in-again");
    assertEquals(0, again.exit(), again.all());
  }

  /** What each host and the database hold of the user, for whoever reads a failure. */
  String diagnosis(TestUser u) {
    StringBuilder out = new StringBuilder("database: ").append(state(u));
    for (FleetHost h : hosts()) {
      out.append("\n").append(h.name).append(": processes ");
      for (long pid : h.processesOf(u)) {
        out.append(pid).append(' ').append(Procs.cmdline(h.procRoot(), pid)).append("; ");
      }
      out.append("\nwatcher: ").append(PrivateSshd.read(h.sshd.dir.resolve("watch.out")));
      out.append("\naudit: ");
      h.sshd.audit().lines().filter(l -> l.contains(u.name)).forEach(l -> out.append(l)
          .append("\n"));
    }
    return out.toString();
  }

  static String shadowField(FleetHost h, TestUser u) {
    try {
      return h.shadowLine(u).split(":", 3)[1];
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  @Order(3)
  void aDeadHostsSessionsStopCountingAndItsWatcherEndsWhatWasKickedMeanwhile()
      throws Exception {
    Process onAFirst = hold(onA, stranded);
    awaitLive(stranded, "a");
    a.stopWatcher();
    Exec.await(BOUND, "A's heartbeat to pass host_timeout", () -> {
      try {
        Duration age = db.heartbeatAges().get("a");
        return age != null && age.compareTo(Duration.ofSeconds(5)) >= 0;
      } catch (StoreException e) {
        return false;
      }
    });

    // A is presumed dead: its session no longer blocks a login on B.
    Process onBSecond = hold(onB, stranded);
    awaitLive(stranded, "b");
    assertTrue(onAFirst.isAlive(), "nothing could end A's session");
    Exec.Result status = b.cli("status", stranded.name);
    assertTrue(status.out().contains("unreachable"), status.all());
    Exec.Result doctor = b.cli("doctor");
    assertTrue(doctor.out().contains("presumed dead, their sessions not counted: a ("),
        doctor.all());
    assertTrue(doctor.out().contains("host b reported"), doctor.all());

    // kick on B: B's session at once, A's as soon as A's watcher returns.
    Exec.Result kick = b.cli("kick", stranded.name);
    assertEquals(0, kick.exit(), kick.all());
    Exec.await(BOUND, "B's session to end", () -> !onBSecond.isAlive());
    assertTrue(onAFirst.isAlive() && !a.processesOf(stranded).isEmpty(),
        "A's session waits for A");
    long restarted = System.nanoTime();
    a.startWatcher();
    Exec.await(BOUND, "A's returning watcher to end the kicked session",
        () -> !onAFirst.isAlive() && a.processesOf(stranded).isEmpty());
    System.out.println("fleet: A's watcher back, the session kicked meanwhile ended after "
        + (System.nanoTime() - restarted) / 1_000_000 + " ms (JVM start included)");
    awaitNothingLeft(stranded);
  }

  @Test
  @Order(4)
  void loginsDuringADatabaseOutageAreLetInAndReconciledAfter() throws Exception {
    pg.stop();
    try {
      Login quick = login(onA, outage, "echo in-during-outage");
      assertEquals(0, quick.result().exit(), "on_error = open lets the login in: "
          + quick.result().all());
      System.out.println("fleet: a login (ssh echo) with the database down took "
          + quick.millis() + " ms");
      assertTrue(a.sshd.audit().contains("cannot reach the fleet database"), a.sshd.audit());
      Exec.Result doctor = a.cli("doctor");
      assertTrue(doctor.out().contains("kept while the database was away, are not yet in the "
          + "fleet's trail"), doctor.all());

      // One login on A and one on B, both during the outage: each host alone let it in.
      Process onAOutage = hold(onA, outage);
      Process onBOutage = hold(onB, outage);
      Exec.await(BOUND, "both outage sessions to run", () ->
          !a.processesOf(outage).isEmpty() && !b.processesOf(outage).isEmpty());
      assertTrue(onAOutage.isAlive() && onBOutage.isAlive());
    } finally {
      pg.start();
    }
    long back = System.nanoTime();
    // Once the database answers, the watchers reconcile: the second is a violation.
    awaitNothingLeft(outage);
    System.out.println("fleet: both outage sessions ended " + (System.nanoTime() - back)
        / 1_000_000 + " ms after the database came back");
    assertTrue(!a.sshd.auditEvents("violation", outage.name).isEmpty()
        || !b.sshd.auditEvents("violation", outage.name).isEmpty(),
        "the second login of the outage is a violation once reconciled");
    // What A audited while the database was away reaches the fleet's trail once it is back.
    Exec.await(BOUND, "A's outage audit lines in the fleet's trail", () -> auditLines(c,
        "--user", outage.name, "--event", "error").stream().anyMatch(l ->
        hostAndEvent(l, "a", "error") && l.contains("cannot reach the fleet database")));
    Exec.await(BOUND, "A's doctor to find nothing left to send", () -> a.cli("doctor").out()
        .contains("this host's audit lines are all in the fleet's trail"));
  }

  @Test
  @Order(5)
  void thirtyUsersSpreadOverTheHostsAllGetIn() throws Exception {
    List<Clients> on = List.of(onA, onB, onC);
    ExecutorService pool = Executors.newFixedThreadPool(SPREAD_USERS);
    try {
      List<Future<Exec.Result>> results = new ArrayList<>();
      long t0 = System.nanoTime();
      for (int i = 0; i < SPREAD_USERS; i++) {
        TestUser u = spread.get(i);
        Clients via = on.get(i % 3);
        results.add(pool.submit(() -> via.sshKey(u, "echo spread-in")));
      }
      int in = 0;
      for (Future<Exec.Result> r : results) {
        Exec.Result x = r.get();
        assertEquals(0, x.exit(), x.all());
        in++;
      }
      System.out.println("fleet: " + in + " users over 3 hosts at once, all in after "
          + (System.nanoTime() - t0) / 1_000_000 + " ms");
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  @Order(6)
  void tenSimultaneousLoginsOfOneUserOverTheHostsLeaveNoSessionAlive() throws Exception {
    List<Clients> on = List.of(onA, onB, onC);
    List<Process> storming = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      storming.add(hold(on.get(i % 3), storm));
    }
    try {
      for (Process p : storming) {
        Exec.await(Duration.ofSeconds(60), "every storming client to be let go",
            () -> !p.isAlive());
      }
      awaitNothingLeft(storm);
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "; " + diagnosis(storm), e);
    }
    UserState after = state(storm);
    assertEquals(List.of(), after.sessions(), "zero live sessions");
    System.out.println("fleet storm: 10 logins of one user over 3 hosts, 0 live; lock: "
        + (after.lock() == null ? "none" : after.lock().reason()));
  }

  @Test
  @Order(7)
  void withOnErrorClosedADatabaseOutageRefusesAllButExemptUsers() throws Exception {
    // The same login with the database up, for comparison; then nothing of it left anywhere,
    // so that its close hook does not meet the outage.
    Login up = login(onC, shut, "echo in-before");
    long upMillis = up.millis();
    assertEquals(0, up.result().exit(), up.result().all());
    awaitNothingLeft(shut);

    String original = c.prependConfig("on_error = closed", "exempt_users = " + exempted.name);
    pg.stop();
    try {
      int errorsBefore = c.sshd.auditEvents("error", shut.name).size();
      Login refusal = login(onC, shut, "echo in-during-outage");
      Exec.Result refused = refusal.result();
      long refusedMillis = refusal.millis();
      assertNotEquals(0, refused.exit(), "on_error = closed refuses: " + refused.all());
      assertFalse(refused.out().contains("in-during-outage"), refused.all());
      System.out.println("fleet: on_error = closed, the database down: a login (ssh echo) "
          + "refused after " + refusedMillis + " ms (" + upMillis + " ms let in with it up)");
      assertTrue(refusedMillis < DB_TIMEOUT.plus(USUAL_ALLOWANCE).toMillis(),
          "refused within db_timeout and a hook's usual time: " + refusedMillis + " ms");

      List<com.fasterxml.jackson.databind.JsonNode> errors =
          c.sshd.auditEvents("error", shut.name);
      assertTrue(errors.size() > errorsBefore, "the refusal is audited: " + c.sshd.audit());
      String why = errors.get(errors.size() - 1).path("reason").asText();
      assertTrue(why.contains("cannot connect to") && why.contains("on_error = closed"),
          "the audit line names the database and on_error = closed: " + why);
      Exec.await(BOUND, "nothing of " + shut.name + " on C",
          () -> c.processesOf(shut).isEmpty());

      Login exemptLogin = login(onC, exempted, "echo exempt-in");
      Exec.Result exempt = exemptLogin.result();
      long exemptMillis = exemptLogin.millis();
      assertEquals(0, exempt.exit(), "an exempt user gets in: " + exempt.all());
      assertTrue(exempt.out().contains("exempt-in"), exempt.all());
      System.out.println("fleet: on_error = closed, the database down: an exempt user's login "
          + "(ssh echo) let in after " + exemptMillis + " ms");
      assertTrue(c.sshd.auditEvents("open", exempted.name).stream()
          .anyMatch(n -> n.path("reason").asText().equals("exempt")), c.sshd.audit());
    } finally {
      try {
        pg.start();
      } finally {
        c.restoreConfig(original);
      }
    }

    // Back to normal: the same user gets in (the first try may meet a connection the
    // restart cut, or a server still starting).
    long back = System.nanoTime();
    Exec.await(BOUND, shut.name + " to get in on C again",
        () -> onC.sshKey(shut, "echo in-after").out().contains("in-after"));
    System.out.println("fleet: the database back, " + shut.name + " in again after "
        + (System.nanoTime() - back) / 1_000_000 + " ms");
    awaitNothingLeft(shut);
  }
}
