package org.loginwarden.store;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.loginwarden.config.Fleet;
import org.loginwarden.core.Session;
import org.loginwarden.core.SessionKey;
import org.loginwarden.core.UserState;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * The fleet store: user states in PostgreSQL, one row per user holding the file store's two
 * JSON documents unchanged. One user's decisions are serialised fleet-wide by a
 * transaction-scoped advisory lock on the user's name, so nothing outlives a crashed host's
 * connection. Hosts tell each other through {@code lw_kicks} (the truth) and {@code
 * NOTIFY loginwarden} (the wake-up, sent at commit, lost by hosts not listening).
 *
 * <p>One connection per store object, opened on first use; {@link #awaitNews} keeps a second.
 * Every wait is bounded: connect and statements by {@code db_timeout}, the user's lock by
 * {@code lock_timeout}. One thread at a time, except that {@link #awaitNews}, which has its own
 * connection, may wait in a thread of its own meanwhile.
 */
public final class PostgresStateStore implements FleetStore {

  /** The first key of every user lock: "LW". Users are told apart by {@code hashtext(name)}. */
  static final int USER_LOCK_CLASS = 0x4c57;
  static final String CHANNEL = "loginwarden";
  /** A NOTIFY payload for every host: a lock was taken or lifted. */
  static final String EVERY_HOST = "*";

  static final String AGES = "SELECT host_id,"
      + " (extract(epoch FROM now() - heartbeat) * 1000)::bigint FROM lw_hosts";

  /** How long {@code audit} may wait for the fleet's trail: an admin, not a login, waits. */
  static final Duration AUDIT_READ_LIMIT = Duration.ofSeconds(60);

  private final PgConnector db;
  private final Duration lockTimeout;
  private final String hostId;
  private Connection connection;
  private Connection listener;
  private PgTransaction open;

  private PostgresStateStore(PgConnector db, Duration lockTimeout, String hostId) {
    this.db = db;
    this.lockTimeout = lockTimeout;
    this.hostId = hostId;
  }

  /**
   * Connects nothing yet: the first call that needs the database does. Each step (connect,
   * each statement) waits at most db_timeout: for watchers and admin commands.
   */
  public static PostgresStateStore open(Fleet fleet, Duration lockTimeout, String hostId) {
    return new PostgresStateStore(new PgConnector(fleet), lockTimeout,
        Objects.requireNonNull(hostId, "hostId"));
  }

  /**
   * A login's store: all its waits for the database together end within db_timeout from now,
   * plus the time it waits for the user's lock (at most lock_timeout). Used once, then dropped.
   */
  public static PostgresStateStore forLogin(Fleet fleet, Duration lockTimeout, String hostId) {
    return new PostgresStateStore(new PgConnector(fleet, new LoginBudget(fleet.dbTimeout())),
        lockTimeout, Objects.requireNonNull(hostId, "hostId"));
  }

  @Override
  public String hostId() {
    return hostId;
  }

  @Override
  public Transaction begin(String user) throws StoreException {
    return timed("lock state of " + user, () -> {
      checkName(user);
      if (open != null) {
        // The advisory lock is re-entrant per connection: a nested begin would not wait.
        throw new IllegalStateException("a transaction of " + open.user + " is still open");
      }
      Connection c = connection();
      // At least 1 ms: to PostgreSQL a timeout of 0 means none.
      long lockMillis = Math.max(1, lockTimeout.toMillis());
      long dbMillis = Math.max(1, db.fleet().dbTimeout().toMillis());
      try {
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
          // The lock wait needs a longer statement timeout, and a socket timeout to match.
          s.execute("SET LOCAL lock_timeout = " + lockMillis
              + "; SET LOCAL statement_timeout = " + (lockMillis + dbMillis));
        }
        c.setNetworkTimeout(Runnable::run, (int) Math.min(Integer.MAX_VALUE,
            lockMillis + dbMillis + 1000));
        try (PreparedStatement lock = c.prepareStatement(
            "SELECT pg_advisory_xact_lock(?, hashtext(?))")) {
          // Two users whose names hash alike share a lock: they wait on each other, no worse.
          lock.setInt(1, USER_LOCK_CLASS);
          lock.setString(2, user);
          if (db.login() == null) {
            lock.execute();
          } else {
            db.login().excluding(lockTimeout, lock::execute);
          }
        } catch (SQLException e) {
          if ("55P03".equals(e.getSQLState())) {
            throw new StoreException("cannot lock state of " + user + ": 55P03 still held by "
                + "another process after " + lockMillis + " ms (lock_timeout)");
          }
          throw e;
        }
        c.setNetworkTimeout(Runnable::run, PgConnector.seconds(db.fleet().dbTimeout()) * 1000);
        // A statement of its own, after the lock: its snapshot sees the last holder's commit.
        UserState state = read(c, user);
        open = new PgTransaction(c, user, state);
        return open;
      } catch (SQLException e) {
        abandon(c);
        throw db.failure("lock state of " + user, e);
      } catch (StoreException | RuntimeException e) {
        abandon(c);
        throw e;
      }
    });
  }

  @Override
  public UserState peek(String user) throws StoreException {
    checkName(user);
    return call("read state of " + user, c -> read(c, user));
  }

  @Override
  public List<String> users() throws StoreException {
    return call("list users", c -> names(c, "SELECT name FROM lw_users"));
  }

  /**
   * The users a sweep of this host must look at: a session here, or a lock to mirror. Overrides
   * {@link FleetStore#sweepable()}: by the indexed columns, no document is parsed.
   */
  @Override
  public List<String> sweepable() throws StoreException {
    return call("list the users of " + hostId, c -> names(c,
        "SELECT name FROM lw_users WHERE hosts @> ARRAY[?]::text[] OR locked", hostId));
  }

  @Override
  public void heartbeat() throws StoreException {
    call("record the heartbeat of " + hostId, c -> {
      try (PreparedStatement s = c.prepareStatement("INSERT INTO lw_hosts (host_id, heartbeat)"
          + " VALUES (?, now()) ON CONFLICT (host_id) DO UPDATE SET heartbeat = now()")) {
        s.setString(1, hostId);
        return s.executeUpdate();
      }
    });
  }

  @Override
  public Map<String, Duration> heartbeatAges() throws StoreException {
    return call("read the heartbeats", c -> {
      Map<String, Duration> ages = new TreeMap<>();
      try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(AGES)) {
        while (r.next()) {
          ages.put(r.getString(1), Duration.ofMillis(Math.max(0, r.getLong(2))));
        }
      }
      return ages;
    });
  }

  @Override
  public List<String> takeKicks() throws StoreException {
    return call("take the kicks of " + hostId,
        c -> names(c, "DELETE FROM lw_kicks WHERE host_id = ? RETURNING name", hostId));
  }

  /**
   * The names a query returns, sorted here, not by the database's collation: the same order
   * as the file store.
   */
  private static List<String> names(Connection c, String sql, String... params)
      throws SQLException {
    Set<String> names = new TreeSet<>();
    try (PreparedStatement s = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        s.setString(i + 1, params[i]);
      }
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          names.add(r.getString(1));
        }
      }
    }
    return List.copyOf(names);
  }

  @Override
  public boolean awaitNews(Duration limit) throws StoreException {
    try {
      if (listener == null) {
        Connection c = db.connect();
        try (Statement s = c.createStatement()) {
          s.execute("LISTEN " + CHANNEL);
        } catch (SQLException e) {
          closeQuietly(c);
          throw e;
        }
        listener = c;
      }
      // getNotifications(0) would wait forever.
      int millis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, limit.toMillis()));
      PGNotification[] news = listener.unwrap(PGConnection.class).getNotifications(millis);
      boolean forUs = false;
      for (PGNotification n : news == null ? new PGNotification[0] : news) {
        forUs |= n.getParameter().equals(hostId) || n.getParameter().equals(EVERY_HOST);
      }
      return forUs;
    } catch (SQLException e) {
      // A lost connection is opened and LISTENed again on the next call.
      closeQuietly(listener);
      listener = null;
      throw db.failure("wait for news", e);
    }
  }

  @Override
  public void appendAudit(List<String> lines) throws StoreException {
    if (lines.isEmpty()) {
      return;
    }
    // The server reads time, user and event from each line: the hook parses no JSON.
    call("add " + lines.size() + " line(s) to the fleet's audit trail", c -> {
      try (PreparedStatement s = c.prepareStatement("INSERT INTO lw_audit"
          + " (time, host_id, name, event, line)"
          + " SELECT (j->>'time')::timestamptz, ?, coalesce(j->>'user', '-'),"
          + " coalesce(j->>'event', '-'), l"
          + " FROM (SELECT l, l::jsonb AS j FROM unnest(?::text[]) AS l) AS x"
          + " ON CONFLICT DO NOTHING")) {
        s.setString(1, hostId);
        s.setArray(2, c.createArrayOf("text", lines.toArray()));
        return s.executeUpdate();
      }
    });
  }

  /**
   * Streams the trail through a cursor, so that a long one is never held in memory. An admin
   * reading years of it may wait longer than a login would: up to {@link #AUDIT_READ_LIMIT}.
   */
  @Override
  public void readAudit(String user, Instant since, Instant until, Consumer<String> each)
      throws StoreException {
    StringBuilder sql = new StringBuilder("SELECT line FROM lw_audit WHERE true");
    List<Object> params = new ArrayList<>();
    if (user != null) {
      sql.append(" AND name = ?");
      params.add(user);
    }
    if (since != null) {
      sql.append(" AND time >= ?");
      params.add(java.time.OffsetDateTime.ofInstant(since, java.time.ZoneOffset.UTC));
    }
    if (until != null) {
      sql.append(" AND time < ?");
      params.add(java.time.OffsetDateTime.ofInstant(until, java.time.ZoneOffset.UTC));
    }
    sql.append(" ORDER BY time, id");
    Connection c = connection();
    try {
      c.setAutoCommit(false); // a cursor lives in a transaction
      try (Statement s = c.createStatement()) {
        s.execute("SET LOCAL statement_timeout = " + AUDIT_READ_LIMIT.toMillis());
      }
      c.setNetworkTimeout(Runnable::run, (int) AUDIT_READ_LIMIT.plusSeconds(1).toMillis());
      try (PreparedStatement s = c.prepareStatement(sql.toString())) {
        for (int i = 0; i < params.size(); i++) {
          s.setObject(i + 1, params.get(i));
        }
        s.setFetchSize(1000);
        try (ResultSet r = s.executeQuery()) {
          while (r.next()) {
            each.accept(r.getString(1));
          }
        }
      }
      c.commit();
    } catch (SQLException e) {
      abandon(c);
      throw failed(c, "read the fleet's audit trail", e);
    }
    abandon(c); // nothing left to roll back: back to autocommit and the usual timeouts
  }

  private interface DbCall<T> {
    T run() throws StoreException;
  }

  private interface SqlWork<T> {
    T run(Connection c) throws SQLException, StoreException;
  }

  /**
   * One plain statement's worth of work on the store's connection, timed as {@link #timed}
   * does; an SQL failure is {@code cannot <what>: ...}, and a broken connection is dropped.
   */
  private <T> T call(String what, SqlWork<T> work) throws StoreException {
    return timed(what, () -> {
      Connection c = connection();
      try {
        return work.run(c);
      } catch (SQLException e) {
        throw failed(c, what, e);
      }
    });
  }

  /** One call to the database: for a login, within what is left of its db_timeout. */
  private <T> T timed(String what, DbCall<T> call) throws StoreException {
    LoginBudget budget = db.login();
    if (budget == null) {
      return call.run();
    }
    budget.enter(what);
    try {
      return call.run();
    } finally {
      budget.exit();
    }
  }

  /** Closes both connections; a transaction still open is rolled back by the server. */
  @Override
  public void close() {
    closeQuietly(connection);
    closeQuietly(listener);
    connection = null;
    listener = null;
    open = null;
  }

  /**
   * The hosts told to end sessions of {@code user} by a write from {@code before} to {@code
   * after}: those of sessions of other hosts that this write marks ending. Sorted.
   */
  static Set<String> hostsToKick(UserState before, UserState after, String self) {
    Map<SessionKey, Session> was = new HashMap<>();
    for (Session s : before.sessions()) {
      was.put(s.key(), s);
    }
    Set<String> hosts = new TreeSet<>();
    for (Session s : after.sessions()) {
      if (s.host() == null || s.host().equals(self) || s.ending() == null) {
        continue;
      }
      Session old = was.get(s.key());
      if (old == null || old.ending() == null) {
        hosts.add(s.host());
      }
    }
    return hosts;
  }

  /** The hosts the user has sessions on, sorted; sessions without a host are this host's. */
  private Set<String> hostsOf(UserState state) {
    Set<String> hosts = new TreeSet<>();
    for (Session s : state.sessions()) {
      hosts.add(s.host() == null ? hostId : s.host());
    }
    return hosts;
  }

  private Connection connection() throws StoreException {
    if (connection == null) {
      Connection c = db.connect();
      try (Statement s = c.createStatement()) {
        FleetSchema.check(db, FleetSchema.version(s));
      } catch (SQLException e) {
        closeQuietly(c);
        throw db.failure("read the schema version of " + db.safeUrl(), e);
      } catch (StoreException e) {
        closeQuietly(c);
        throw e;
      }
      connection = c;
    }
    return connection;
  }

  private static UserState read(Connection c, String user) throws SQLException, StoreException {
    try (PreparedStatement s = c.prepareStatement(
        "SELECT sessions, persistent FROM lw_users WHERE name = ?")) {
      s.setString(1, user);
      try (ResultSet r = s.executeQuery()) {
        if (!r.next()) {
          return UserState.empty(user);
        }
        return decode(user, r.getString(1).getBytes(StandardCharsets.UTF_8),
            r.getString(2).getBytes(StandardCharsets.UTF_8));
      }
    }
  }

  /** As the file store reads its two files: a newer release's documents are refused. */
  static UserState decode(String user, byte[] sessions, byte[] persistent)
      throws StoreException {
    for (byte[] doc : List.of(sessions, persistent)) {
      if (StateCodec.schemaOf(doc) > StateCodec.SCHEMA) {
        throw new StoreException("cannot read state of " + user + ": written by a newer "
            + "loginwarden (schema " + StateCodec.schemaOf(doc) + ")");
      }
    }
    try {
      StateCodec.Persistent p = StateCodec.readPersistent(user, persistent);
      return new UserState(user, StateCodec.readSessions(user, sessions), p.violations(),
          p.lock(), p.authFailures());
    } catch (StateCodec.CorruptException e) {
      throw new StoreException("corrupt state of " + user + " in the database: "
          + e.getMessage());
    }
  }

  private static void checkName(String user) throws StoreException {
    String problem = UserNames.problem(user);
    if (problem != null) {
      throw new StoreException("refusing user name: " + problem);
    }
  }

  /** The failure of a plain read or write; a broken connection is dropped for a new one. */
  private StoreException failed(Connection c, String what, SQLException e) {
    if (isBroken(c, e)) {
      closeQuietly(c);
      connection = null;
    }
    return db.failure(what, e);
  }

  /** Ends a failed transaction: rolled back, or the connection dropped when that fails. */
  private void abandon(Connection c) {
    open = null;
    try {
      c.rollback();
      c.setAutoCommit(true);
    } catch (SQLException e) {
      closeQuietly(c);
      connection = null;
      return;
    }
    try {
      c.setNetworkTimeout(Runnable::run, PgConnector.seconds(db.fleet().dbTimeout()) * 1000);
    } catch (SQLException e) {
      closeQuietly(c);
      connection = null;
    }
  }

  private static boolean isBroken(Connection c, SQLException e) {
    try {
      return c.isClosed() || (e.getSQLState() != null && e.getSQLState().startsWith("08"));
    } catch (SQLException closed) {
      return true;
    }
  }

  private static void closeQuietly(Connection c) {
    if (c != null) {
      try {
        c.close();
      } catch (SQLException e) {
        // the server ends the session and rolls back when the socket closes
      }
    }
  }

  private final class PgTransaction implements Transaction {
    private final Connection c;
    private final String user;
    private final UserState before;
    private boolean done;

    PgTransaction(Connection c, String user, UserState before) {
      this.c = c;
      this.user = user;
      this.before = before;
    }

    @Override
    public UserState state() {
      return before;
    }

    /**
     * Writes and commits, which also releases the user's lock: a transaction takes one write.
     * Kicks and NOTIFYs go in the same commit, so a decision rolled back tells nobody.
     */
    @Override
    public void write(UserState next) throws StoreException {
      timed("write state of " + user, () -> {
        if (done) {
          throw new IllegalStateException("transaction of " + user + " already written or closed");
        }
        done = true;
        try {
          // Kicks and NOTIFYs are queued before the row is written: whatever fails after
          // them rolls them back too, and NOTIFY is delivered only at commit.
          for (String host : hostsToKick(before, next, hostId)) {
            try (PreparedStatement s = c.prepareStatement("WITH k AS (INSERT INTO lw_kicks"
                + " (host_id, name) VALUES (?, ?) ON CONFLICT DO NOTHING)"
                + " SELECT pg_notify('" + CHANNEL + "', ?)")) {
              s.setString(1, host);
              s.setString(2, user);
              s.setString(3, host);
              s.execute();
            }
          }
          if (!Objects.equals(before.lock(), next.lock())) {
            try (Statement s = c.createStatement()) {
              s.execute("SELECT pg_notify('" + CHANNEL + "', '" + EVERY_HOST + "')");
            }
          }
          if (next.isEmpty()) {
            try (PreparedStatement s = c.prepareStatement("DELETE FROM lw_users WHERE name = ?")) {
              s.setString(1, user);
              s.executeUpdate();
            }
          } else {
            try (PreparedStatement s = c.prepareStatement("INSERT INTO lw_users (name, sessions,"
                + " persistent, hosts, locked) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE"
                + " SET sessions = excluded.sessions, persistent = excluded.persistent,"
                + " hosts = excluded.hosts, locked = excluded.locked, updated = now()")) {
              s.setString(1, user);
              s.setString(2, new String(StateCodec.writeSessions(user, next.sessions()),
                  StandardCharsets.UTF_8));
              s.setString(3, new String(StateCodec.writePersistent(user, next.violations(),
                  next.lock(), next.authFailures()), StandardCharsets.UTF_8));
              s.setArray(4, c.createArrayOf("text", hostsOf(next).toArray()));
              s.setBoolean(5, next.lock() != null);
              s.executeUpdate();
            }
          }
          c.commit();
          open = null;
          c.setAutoCommit(true);
        } catch (SQLException e) {
          abandon(c);
          throw db.failure("write state of " + user, e);
        }
        return null;
      });
    }

    @Override
    public void close() {
      if (open == this) {
        abandon(c);
      }
      done = true;
    }
  }
}
