package org.loginwarden.cli;


import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.loginwarden.cli.InProcessCli.run;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.loginwarden.cli.InProcessCli.Result;
import org.loginwarden.pg.PostgresServer;
import org.loginwarden.store.PostgresStateStore;

/** {@code loginwarden db init|status}, in-process, against a real PostgreSQL. */
class DbCommandIT {

  private static PostgresServer pg;

  @TempDir Path tmp;

  @BeforeAll
  static void server() throws Exception {
    pg = PostgresServer.shared();
  }

  private Path config(String url) throws Exception {
    Path c = tmp.resolve("loginwarden.conf");
    Files.writeString(c, String.join("\n",
        "store = postgresql",
        "db_url = " + url,
        "db_user = " + PostgresServer.ROLE,
        "db_password_file = " + pg.passwordFile(),
        "log_file = " + tmp.resolve("loginwarden.log"),
        "audit_log = " + tmp.resolve("audit.jsonl"),
        ""));
    return c;
  }

  @Test
  void initCreatesThenFindsTheSchemaAndStatusShowsIt() throws Exception {
    String db = pg.createDatabase();
    String conf = config(pg.url(db)).toString();

    Result before = run("--config", conf, "db", "status");
    assertEquals(ExitCode.STATE.code, before.code(), before.toString());
    assertTrue(before.out().startsWith("schema version: none (run loginwarden db init)\n"),
        before.out());

    Result first = run("--config", conf, "db", "init");
    assertEquals(new Result(0, "schema created: version 2\n", ""), first);
    Result again = run("--config", conf, "db", "init");
    assertEquals(new Result(0, "schema up to date: version 2\n", ""), again);

    try (PostgresStateStore host = PostgresStateStore.open(pg.fleet(db, Duration.ofSeconds(2),
        "web-1"), Duration.ofSeconds(5), "web-1")) {
      host.heartbeat();
    }
    Result status = run("--config", conf, "db", "status");
    assertEquals(0, status.code(), status.toString());
    assertTrue(status.out().matches("(?s)schema version: 2\nusers: 0\npending kicks: 0\n"
        + "HOST +LAST HEARTBEAT\nweb-1 +\\d+ s ago\n\n1 host\\(s\\) listed.\n"), status.out());
  }

  @Test
  void aFileStoreConfigIsRefused() throws Exception {
    Path c = tmp.resolve("file.conf");
    Files.writeString(c, "log_file = " + tmp.resolve("l.log") + "\n");
    Result r = run("--config", c.toString(), "db", "init");
    assertEquals(new Result(ExitCode.CONFIG.code, "", "loginwarden: cannot initialise the "
        + "database: the configuration says store = file; db needs store = postgresql\n"), r);
  }

  @Test
  void anUnreachableDatabaseIsOneLineAndExit4() throws Exception {
    String conf = config("jdbc:postgresql://127.0.0.1:1/nowhere?sslmode=disable").toString();
    Result r = run("--config", conf, "db", "init");
    assertEquals(new Result(ExitCode.STATE.code, "", "loginwarden: cannot connect to "
        + "postgresql://127.0.0.1:1/nowhere: 08001 connection refused\n"), r);
  }

  @Test
  void aMissingOrUnknownActionIsAUsageError() throws Exception {
    assertEquals(ExitCode.USAGE.code, run("db").code());
    Result r = run("db", "drop");
    assertEquals(ExitCode.USAGE.code, r.code());
    assertTrue(r.err().startsWith("loginwarden: ") && r.err().lines().count() == 1, r.err());
  }
}
