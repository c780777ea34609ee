package org.loginwarden.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.loginwarden.config.Fleet;

/**
 * The fleet database's tables, as numbered steps: {@code db init} runs those a database lacks,
 * all in one transaction under an advisory lock, so two hosts running it at once (or a crash
 * half-way) leave either the old or the new schema. The schema is small enough that plain SQL
 * in order is the whole migration tool.
 */
public final class FleetSchema {

  /** Step N brings a database from version N-1 to N. */
  private static final List<List<String>> STEPS = List.of(
      List.of(
          "CREATE TABLE lw_schema (version int NOT NULL)",
          "INSERT INTO lw_schema (version) VALUES (0)",
          // The two JSON documents of the file store, byte for byte (StateCodec), and what
          // every host's sweep selects by, kept beside them so that it is indexed, not parsed.
          "CREATE TABLE lw_users (name text PRIMARY KEY, sessions text NOT NULL,"
              + " persistent text NOT NULL, updated timestamptz NOT NULL DEFAULT now(),"
              + " hosts text[] NOT NULL DEFAULT '{}', locked boolean NOT NULL DEFAULT false)",
          "CREATE INDEX lw_users_hosts ON lw_users USING gin (hosts)",
          "CREATE INDEX lw_users_locked ON lw_users (name) WHERE locked",
          "CREATE TABLE lw_hosts (host_id text PRIMARY KEY, heartbeat timestamptz NOT NULL)",
          "CREATE TABLE lw_kicks (host_id text NOT NULL, name text NOT NULL,"
              + " PRIMARY KEY (host_id, name))"),
      List.of(
          // The fleet's one audit trail: each host's audit lines, unchanged, with what
          // `audit` filters by beside them. A line is stored once per host, so a line sent
          // again after an unknown outcome (a lost commit, a crash) is not doubled.
          "CREATE TABLE lw_audit (id bigserial PRIMARY KEY, time timestamptz NOT NULL,"
              + " host_id text NOT NULL, name text NOT NULL, event text NOT NULL,"
              + " line text NOT NULL)",
          "CREATE UNIQUE INDEX lw_audit_line ON lw_audit (host_id, md5(line))",
          "CREATE INDEX lw_audit_time ON lw_audit (time)",
          "CREATE INDEX lw_audit_name ON lw_audit (name, time)"));

  /** The version this build writes and reads. */
  public static final int VERSION = STEPS.size();

  /**
   * The advisory lock key of {@code db init} (one bigint key: a space apart from the users'
   * two-int keys). "lw-schema" in ASCII.
   */
  private static final long INIT_LOCK = 0x6c772d736368656dL;

  private FleetSchema() {}

  /** What {@link #init} did. */
  public record Upgrade(int from, int to) {
    public boolean changed() {
      return from != to;
    }
  }

  /** What {@code db status} shows. */
  public record Status(int version, Map<String, Duration> heartbeatAges, long users,
      long kicks) {}

  /** Creates or upgrades the schema, idempotently. */
  public static Upgrade init(Fleet fleet) throws StoreException {
    PgConnector db = new PgConnector(fleet);
    try (Connection c = db.connect()) {
      try {
        c.setAutoCommit(false);
        int from;
        try (Statement s = c.createStatement()) {
          // A concurrent init waits here, then sees this one's committed result.
          s.execute("SELECT pg_advisory_xact_lock(" + INIT_LOCK + ")");
          from = version(s);
          if (from > VERSION) {
            throw newer(db, from);
          }
          for (int v = from + 1; v <= VERSION; v++) {
            for (String sql : STEPS.get(v - 1)) {
              s.execute(sql);
            }
            s.execute("UPDATE lw_schema SET version = " + v);
          }
        }
        c.commit();
        return new Upgrade(from, VERSION);
      } catch (SQLException e) {
        throw db.failure("initialise the schema in " + db.safeUrl(), e);
      } finally {
        rollbackQuietly(c);
      }
    } catch (SQLException e) {
      throw db.failure("close the connection to " + db.safeUrl(), e);
    }
  }

  /** Version, hosts and row counts, for {@code db status}. */
  public static Status status(Fleet fleet) throws StoreException {
    PgConnector db = new PgConnector(fleet);
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      int version = version(s);
      if (version == 0) {
        return new Status(0, Map.of(), 0, 0);
      }
      check(db, version);
      Map<String, Duration> ages = new TreeMap<>();
      try (ResultSet r = s.executeQuery(PostgresStateStore.AGES)) {
        while (r.next()) {
          ages.put(r.getString(1), Duration.ofMillis(r.getLong(2)));
        }
      }
      return new Status(version, ages, count(s, "lw_users"), count(s, "lw_kicks"));
    } catch (SQLException e) {
      throw db.failure("read the status of " + db.safeUrl(), e);
    }
  }

  /** Refuses a database this build cannot use, with what to do about it. */
  static void check(PgConnector db, int version) throws StoreException {
    if (version > VERSION) {
      throw newer(db, version);
    }
    if (version < VERSION) {
      throw new StoreException("cannot use " + db.safeUrl() + ": " + (version == 0
          ? "no loginwarden schema" : "schema version " + version + " is older than this "
          + "loginwarden's " + VERSION) + " (run loginwarden db init)");
    }
  }

  /** The database's schema version; 0 when it has none. */
  static int version(Statement s) throws SQLException {
    try (ResultSet r = s.executeQuery("SELECT to_regclass('lw_schema') IS NOT NULL")) {
      r.next();
      if (!r.getBoolean(1)) {
        return 0;
      }
    }
    try (ResultSet r = s.executeQuery("SELECT max(version) FROM lw_schema")) {
      return r.next() ? r.getInt(1) : 0;
    }
  }

  private static StoreException newer(PgConnector db, int version) {
    return new StoreException("cannot use " + db.safeUrl() + ": schema version " + version
        + " is newer than this loginwarden knows (" + VERSION + "): upgrade loginwarden");
  }

  private static long count(Statement s, String table) throws SQLException {
    try (ResultSet r = s.executeQuery("SELECT count(*) FROM " + table)) {
      r.next();
      return r.getLong(1);
    }
  }

  private static void rollbackQuietly(Connection c) {
    try {
      if (!c.getAutoCommit()) {
        c.rollback();
      }
    } catch (SQLException e) {
      // the connection is closed next; the server rolls back what is left
    }
  }
}
