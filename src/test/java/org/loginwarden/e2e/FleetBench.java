package org.loginwarden.e2e;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.loginwarden.config.Fleet;
import org.loginwarden.core.Decider;
import org.loginwarden.core.OnViolation;
import org.loginwarden.core.Policy;
import org.loginwarden.core.Session;
import org.loginwarden.install.ScratchInstall;
import org.loginwarden.pg.PostgresServer;
import org.loginwarden.store.FleetSchema;
import org.loginwarden.store.PostgresStateStore;
import org.loginwarden.store.StateStore;

/**
 * The fleet store's benchmark ({@code mvn -B verify -Pbench -Dit.test=FleetBench}, as root):
 * against a real local PostgreSQL started for it,
 * <ol>
 *   <li>the hook's whole-process open_session time through the installed launcher with the
 *       file store and with the PostgreSQL store, interleaved in one run: median and p99;
 *   <li>sustained decisions per second from 50 concurrent clients (an open and a close per
 *       user, each its own fleet-wide serialised transaction), with the decisions' own median
 *       and p99 and the database's connections in use meanwhile.
 * </ol>
 * Results in target/bench/fleet.{txt,json}. A timing means something only beside the others
 * of the same run.
 */
class FleetBench {

  static final int ROUNDS = Integer.getInteger("bench.rounds", 101);
  static final int CLIENTS = Integer.getInteger("bench.clients", 50);
  static final Duration SUSTAIN = Duration.ofSeconds(Long.getLong("bench.seconds", 15));

  @TempDir
  Path dir;
  private final StringBuilder table = new StringBuilder();
  private final Map<String, Object> json = new LinkedHashMap<>();

  @Test
  void fleetStore() throws Exception {
    PrivateSshd.assumeAvailable();
    PostgresServer pg = PostgresServer.shared();
    String database = pg.createDatabase();
    Fleet fleet = pg.fleet(database, Duration.ofSeconds(2), "bench");
    FleetSchema.init(fleet);
    json.put("when", Instant.now().toString());
    json.put("cpus", Runtime.getRuntime().availableProcessors());
    line("loginwarden fleet store, %s, %d CPUs, PostgreSQL on 127.0.0.1", json.get("when"),
        json.get("cpus"));

    ScratchInstall install = ScratchInstall.create(dir.resolve("install"),
        Path.of("/usr/bin/java"));
    json.put("hookOpenSession", hookOpen(install, pg, database));
    json.put("concurrent", concurrentDecisions(pg, database, fleet));

    LoginLatencyBench.write("fleet", json, table);
  }

  private Map<String, Object> hookOpen(ScratchInstall install, PostgresServer pg,
      String database) throws Exception {
    String common = String.join("\n", "services = sshd", "violations = 100", "");
    Map<String, Path> configs = new LinkedHashMap<>();
    configs.put("file store", config("file", common));
    configs.put("postgresql store", config("pg", common + String.join("\n",
        "store = postgresql", "db_url = " + pg.url(database),
        "db_user = " + PostgresServer.ROLE, "db_password_file = " + pg.passwordFile(),
        "host_id = bench", "")));
    Map<String, List<Double>> walls = new LinkedHashMap<>();
    configs.keySet().forEach(k -> walls.put(k, new ArrayList<>()));
    Map<String, String> env = Map.of("PAM_TYPE", "open_session", "PAM_USER", "benchuser",
        "PAM_SERVICE", "sshd", "PAM_RHOST", "192.0.2.1", "PAM_TTY", "ssh");
    Map<String, String> close = new LinkedHashMap<>(env);
    close.put("PAM_TYPE", "close_session");
    for (int r = 0; r < ROUNDS; r++) {
      for (var c : configs.entrySet()) {
        List<String> hook = List.of(install.launcher().toString(), "--config",
            c.getValue().toString(), "pam");
        walls.get(c.getKey()).add(LoginLatencyBench.wallMillis(hook, env));
        // Untimed: the next open must not find this one's session still recorded.
        LoginLatencyBench.wallMillis(hook, close);
      }
    }
    for (Path config : configs.values()) {
      // A hook that failed answers on_error = open, fast: only decisions taken count.
      String audit = Files.readString(config.resolveSibling("audit.jsonl"));
      if (audit.contains("\"event\":\"error\"") || !audit.contains("\"event\":\"open\"")) {
        throw new AssertionError(config + ": the hook did not decide: " + audit.lines()
            .filter(l -> l.contains("error")).findFirst().orElse(audit));
      }
    }
    line("");
    line("Hook open_session outside sshd, launcher + class-data archive, JDK %s, %d "
        + "interleaved rounds (ms)", LoginLatencyBench.version(install.java()), ROUNDS);
    line("  %-18s %8s %8s %8s", "", "median", "p99", "x file");
    Map<String, Object> out = new LinkedHashMap<>();
    double file = LoginLatencyBench.median(walls.get("file store"));
    for (var e : walls.entrySet()) {
      double med = LoginLatencyBench.median(e.getValue());
      line("  %-18s %8.1f %8.1f %8.2f", e.getKey(), med, p99(e.getValue()), med / file);
      out.put(e.getKey(), Map.of("medianMs", LoginLatencyBench.round(med),
          "p99Ms", LoginLatencyBench.round(p99(e.getValue())),
          "ratioToFile", LoginLatencyBench.round(med / file)));
    }
    return out;
  }

  private Path config(String name, String text) throws Exception {
    Path root = Files.createDirectories(dir.resolve(name));
    for (String d : List.of("state", "run")) {
      Path p = Files.createDirectories(root.resolve(d));
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
    }
    Path config = root.resolve("loginwarden.conf");
    Files.writeString(config, "state_dir = " + root.resolve("state") + "\nrun_dir = "
        + root.resolve("run") + "\naudit_log = " + root.resolve("audit.jsonl")
        + "\nlog_file = " + root.resolve("loginwarden.log") + "\n" + text);
    return config;
  }

  /**
   * {@link #CLIENTS} threads, each with its own store (its own connection, as each host's
   * hook or watcher has), each deciding about its own users: an open, then a close.
   */
  private Map<String, Object> concurrentDecisions(PostgresServer pg, String database,
      Fleet fleet) throws Exception {
    Policy policy = new Policy(1, OnViolation.KICK_ALL, 3, Duration.ofMinutes(10),
        Duration.ZERO, false);
    Decider decider = new Decider();
    AtomicBoolean stop = new AtomicBoolean();
    CountDownLatch ready = new CountDownLatch(CLIENTS);
    List<List<Double>> perClient = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
    for (int t = 0; t < CLIENTS; t++) {
      List<Double> millis = new ArrayList<>();
      perClient.add(millis);
      int client = t;
      Thread th = new Thread(() -> {
        try (PostgresStateStore store = PostgresStateStore.open(fleet, Duration.ofSeconds(5),
            "host" + client)) {
          store.peek("warmup");
          ready.countDown();
          ready.await();
          for (long n = 0; !stop.get(); n++) {
            String user = "c" + client + "u" + (n % 1000);
            Session s = new Session(1000 + n, n, n, "sshd", "192.0.2.1", 22, "ssh", null,
                null, Instant.now(), null, null, "host" + client);
            long t0 = System.nanoTime();
            try (StateStore.Transaction tx = store.begin(user)) {
              tx.write(decider.open(tx.state(), s, Map.of(), policy, Instant.now()).next());
            }
            long t1 = System.nanoTime();
            try (StateStore.Transaction tx = store.begin(user)) {
              tx.write(decider.close(tx.state(), s.key(), Instant.now()).next());
            }
            long t2 = System.nanoTime();
            millis.add((t1 - t0) / 1e6);
            millis.add((t2 - t1) / 1e6);
          }
        } catch (Throwable e) {
          failures.add(e);
          ready.countDown();
        }
      });
      threads.add(th);
      th.start();
    }
    ready.await(60, TimeUnit.SECONDS);
    long start = System.nanoTime();
    Thread.sleep(SUSTAIN.toMillis() / 2);
    int connections = connectionsInUse(pg, database);
    Thread.sleep(SUSTAIN.toMillis() - SUSTAIN.toMillis() / 2);
    stop.set(true);
    for (Thread th : threads) {
      th.join(30_000);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    if (!failures.isEmpty()) {
      throw new AssertionError("a client failed: " + failures.get(0), failures.get(0));
    }
    List<Double> all = new ArrayList<>();
    perClient.forEach(all::addAll);
    double perSecond = all.size() / seconds;
    line("");
    line("Fleet store, %d concurrent clients, each its own connection and users, %.0f s:",
        CLIENTS, seconds);
    line("  %,.0f decisions/s (each a serialised read-decide-write transaction); per decision "
        + "median %.2f ms, p99 %.2f ms", perSecond, LoginLatencyBench.median(all), p99(all));
    line("  connections in use meanwhile (pg_stat_activity, this database): %d", connections);
    return Map.of("clients", CLIENTS, "seconds", LoginLatencyBench.round(seconds),
        "decisionsPerSecond", LoginLatencyBench.round(perSecond),
        "decisionMedianMs", LoginLatencyBench.round(LoginLatencyBench.median(all)),
        "decisionP99Ms", LoginLatencyBench.round(p99(all)), "connectionsInUse", connections);
  }

  private static int connectionsInUse(PostgresServer pg, String database) throws Exception {
    try (Connection c = pg.connect(database); Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE datname = '"
            + database + "' AND pid <> pg_backend_pid()")) {
      r.next();
      return r.getInt(1);
    }
  }

  static double p99(List<Double> values) {
    return LoginLatencyBench.percentile(values, 0.99);
  }

  private void line(String format, Object... args) {
    table.append(String.format(format, args)).append('\n');
  }
}
