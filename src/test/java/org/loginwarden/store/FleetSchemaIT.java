package org.loginwarden.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.loginwarden.config.Fleet;
import org.loginwarden.pg.PostgresServer;

/** db init against a real PostgreSQL, and what a store says when the database is not right. */
class FleetSchemaIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(2);
  private static PostgresServer pg;

  @TempDir Path tmp;

  @BeforeAll
  static void server() throws Exception {
    pg = PostgresServer.shared();
  }

  private static Fleet fleet(String db) throws Exception {
    return pg.fleet(db, TIMEOUT, "host-a");
  }

  @Test
  void initCreatesTheSchemaOnceAndThenChangesNothing() throws Exception {
    String db = pg.createDatabase();
    assertEquals(new FleetSchema.Upgrade(0, FleetSchema.VERSION), FleetSchema.init(fleet(db)));
    String before = schemaDump(db);
    assertEquals(List.of("lw_audit", "lw_hosts", "lw_kicks", "lw_schema", "lw_users"),
        tables(db));
    assertEquals(new FleetSchema.Upgrade(FleetSchema.VERSION, FleetSchema.VERSION),
        FleetSchema.init(fleet(db)));
    assertEquals(before, schemaDump(db));
    FleetSchema.Status s = FleetSchema.status(fleet(db));
    assertEquals(FleetSchema.VERSION, s.version());
    assertEquals(0, s.users());
  }

  /** Version 1 (no fleet audit trail) is what the first fleet release created. */
  @Test
  void initUpgradesAVersionOneDatabaseKeepingItsRows() throws Exception {
    String db = pg.createDatabase();
    FleetSchema.init(fleet(db));
    pg.admin(db, "DROP TABLE lw_audit");
    pg.admin(db, "UPDATE lw_schema SET version = 1");
    pg.admin(db, "INSERT INTO lw_hosts (host_id, heartbeat) VALUES ('host-a', now())");
    StoreException old = assertThrows(StoreException.class,
        () -> PostgresStateStore.open(fleet(db), TIMEOUT, "host-a").users());
    assertTrue(old.getMessage().endsWith(": schema version 1 is older than this loginwarden's "
        + FleetSchema.VERSION + " (run loginwarden db init)"), old.getMessage());
    assertEquals(new FleetSchema.Upgrade(1, FleetSchema.VERSION), FleetSchema.init(fleet(db)));
    assertTrue(tables(db).contains("lw_audit"));
    assertEquals(java.util.Set.of("host-a"), FleetSchema.status(fleet(db)).heartbeatAges()
        .keySet(), "rows kept");
  }

  @Test
  void twoHostsInitialisingAtOnceBothSucceed() throws Exception {
    String db = pg.createDatabase();
    int hosts = 4;
    CyclicBarrier together = new CyclicBarrier(hosts);
    ExecutorService pool = Executors.newFixedThreadPool(hosts);
    try {
      List<Future<FleetSchema.Upgrade>> results = new ArrayList<>();
      for (int i = 0; i < hosts; i++) {
        Callable<FleetSchema.Upgrade> init = () -> {
          together.await(30, TimeUnit.SECONDS);
          return FleetSchema.init(fleet(db));
        };
        results.add(pool.submit(init));
      }
      int created = 0;
      for (Future<FleetSchema.Upgrade> r : results) {
        FleetSchema.Upgrade u = r.get(60, TimeUnit.SECONDS);
        assertEquals(FleetSchema.VERSION, u.to());
        created += u.changed() ? 1 : 0;
      }
      assertEquals(1, created, "exactly one init creates the schema");
    } finally {
      pool.shutdownNow();
    }
    assertEquals(List.of(FleetSchema.VERSION), versions(db));
  }

  @Test
  void aStoreWithoutTheSchemaSaysToRunDbInit() throws Exception {
    String db = pg.createDatabase();
    try (PostgresStateStore s = PostgresStateStore.open(fleet(db), TIMEOUT, "host-a")) {
      StoreException e = assertThrows(StoreException.class, () -> s.peek("alice"));
      assertEquals("cannot use postgresql://127.0.0.1:" + pg.port() + "/" + db
          + ": no loginwarden schema (run loginwarden db init)", e.getMessage());
      assertEquals(0, FleetSchema.status(fleet(db)).version());
      FleetSchema.init(fleet(db));
      assertTrue(s.peek("alice").isEmpty(), "the store connects again once the schema is there");
    }
  }

  @Test
  void aNewerSchemaIsRefusedByInitAndByTheStore() throws Exception {
    String db = pg.createDatabase();
    FleetSchema.init(fleet(db));
    pg.admin(db, "UPDATE lw_schema SET version = " + (FleetSchema.VERSION + 1));
    String expected = "cannot use postgresql://127.0.0.1:" + pg.port() + "/" + db
        + ": schema version " + (FleetSchema.VERSION + 1) + " is newer than this loginwarden "
        + "knows (" + FleetSchema.VERSION + "): upgrade loginwarden";
    assertEquals(expected, assertThrows(StoreException.class,
        () -> FleetSchema.init(fleet(db))).getMessage());
    assertEquals(List.of(FleetSchema.VERSION + 1), versions(db), "init changed nothing");
    try (PostgresStateStore s = PostgresStateStore.open(fleet(db), TIMEOUT, "host-a")) {
      assertEquals(expected, assertThrows(StoreException.class, () -> s.begin("alice"))
          .getMessage());
    }
  }

  /** Every failure is one line without the URL's parameters, the password or its file's text. */
  @Test
  void noErrorShowsTheUrlParametersOrThePassword() throws Exception {
    String db = pg.createDatabase();
    FleetSchema.init(fleet(db));
    String query = "?sslmode=disable&lwmarker=querysecret42";
    String url = pg.url(db) + query;
    Path wrong = rootOnly("wrong.pass", "wrongpassword-secret-77\n");
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    List<String> secrets = List.of("querysecret42", "lwmarker", "wrongpassword-secret-77",
        pg.password(), "jdbc:");

    assertSafe(secrets, "cannot connect to postgresql://127.0.0.1:" + pg.port() + "/" + db
        + ": 28P01 password authentication failed for user \"loginwarden\"",
        () -> open(url, wrong).peek("alice"));
    assertSafe(secrets, "cannot connect to postgresql://127.0.0.1:" + closedPort + "/" + db
        + ": 08001 connection refused",
        () -> open(url.replace(":" + pg.port() + "/", ":" + closedPort + "/"), wrong)
            .begin("alice"));
    assertSafe(secrets, "cannot connect to postgresql://127.0.0.1:" + pg.port()
        + "/no_such_db: 3D000 database \"no_such_db\" does not exist",
        () -> open(url.replace("/" + db, "/no_such_db"), pg.passwordFile()).users());
    assertSafe(secrets, "cannot connect to postgresql://127.0.0.1:" + pg.port() + "/" + db
        + ": 08004 The server does not support SSL.",
        () -> open(url.replace("sslmode=disable", "sslmode=require"), pg.passwordFile())
            .heartbeat());
    assertSafe(secrets, "cannot connect to postgresql://127.0.0.1:" + pg.port() + "/" + db
        + ": 08001 Invalid sslmode value: (parameter)",
        () -> open(url.replace("sslmode=disable", "sslmode=querysecret42x"), pg.passwordFile())
            .peek("alice"));
    Path loose = rootOnly("loose.pass", pg.password() + "\n");
    Files.setPosixFilePermissions(loose, PosixFilePermissions.fromString("rw-r-----"));
    assertSafe(secrets, "refusing db_password_file " + loose
        + ": readable or writable by group or others (chmod 0600 it)",
        () -> open(url, loose).takeKicks());
    assertSafe(secrets, "refusing db_password_file " + loose
        + ": readable or writable by group or others (chmod 0600 it)",
        () -> FleetSchema.init(new Fleet(url, PostgresServer.ROLE, loose, TIMEOUT, null,
            TIMEOUT)));
    // And the right password through the same URL works.
    try (PostgresStateStore s = open(url, pg.passwordFile())) {
      assertTrue(s.peek("alice").isEmpty());
    }
  }

  /** What the driver does when the server is gone, measured for the report. */
  @Test
  void connectingToNothingFailsAtOnceAndABlackholeWithinDbTimeout() throws Exception {
    String db = pg.createDatabase();
    // A listening socket that never accepts: the connect completes (backlog), the startup
    // packet gets no answer. The socket/login timeout must end the wait.
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      String url = "jdbc:postgresql://127.0.0.1:" + silent.getLocalPort() + "/" + db;
      Fleet f = new Fleet(url, PostgresServer.ROLE, pg.passwordFile(), Duration.ofMillis(1500),
          null, TIMEOUT);
      try (PostgresStateStore s = PostgresStateStore.open(f, TIMEOUT, "host-a")) {
        long start = System.nanoTime();
        StoreException e = assertThrows(StoreException.class, () -> s.begin("alice"));
        long ms = (System.nanoTime() - start) / 1_000_000;
        System.out.println("FleetSchemaIT: a server that never answers: begin failed after "
            + ms + " ms with db_timeout 1500 ms (" + e.getMessage() + ")");
        assertTrue(ms >= 1400 && ms < 3500, "waited " + ms + " ms");
        assertFalse(e.getMessage().contains("jdbc:"));
      }
    }
  }

  private PostgresStateStore open(String url, Path passwordFile) {
    return PostgresStateStore.open(new Fleet(url, PostgresServer.ROLE, passwordFile, TIMEOUT,
        null, TIMEOUT), TIMEOUT, "host-a");
  }

  private static void assertSafe(List<String> secrets, String expected, Executable call) {
    StoreException e = assertThrows(StoreException.class, call);
    for (Throwable t = e; t != null; t = t.getCause()) {
      for (String secret : secrets) {
        assertFalse(String.valueOf(t.getMessage()).contains(secret),
            () -> "'" + secret + "' in: " + e.getMessage());
      }
    }
    assertEquals(expected, e.getMessage());
  }

  private Path rootOnly(String name, String content) throws Exception {
    Path f = Files.createFile(tmp.resolve(name), PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rw-------")));
    Files.writeString(f, content);
    return f;
  }

  private static List<String> tables(String db) throws Exception {
    return pg.strings(db, "SELECT tablename FROM pg_tables WHERE tablename LIKE 'lw\\_%' "
        + "ORDER BY tablename");
  }

  private static List<Integer> versions(String db) throws Exception {
    return pg.strings(db, "SELECT version FROM lw_schema").stream().map(Integer::valueOf).toList();
  }

  /** Tables, columns, types and defaults, and the data of lw_schema. */
  private static String schemaDump(String db) throws Exception {
    return pg.strings(db, "SELECT table_name || '.' || column_name || ' ' || data_type || ' '"
        + " || is_nullable || ' ' || coalesce(column_default, '-') FROM"
        + " information_schema.columns WHERE table_name LIKE 'lw\\_%'"
        + " ORDER BY table_name, ordinal_position") + " " + versions(db);
  }
}
