package org.loginwarden.store;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.SSLException;
import org.loginwarden.config.Fleet;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * Opens connections to the fleet database, every wait bounded by {@code db_timeout} (for a
 * login, all of them together: {@link LoginBudget}), and turns
 * the driver's exceptions into one safe line: the URL's parameters, the password file and the
 * password never reach a message.
 */
final class PgConnector {

  /** pgjdbc logs through java.util.logging, whose default handler writes to stderr. */
  private static final Logger DRIVER_LOG = Logger.getLogger("org.postgresql");

  static {
    // Its messages may quote connection details; ours say what failed in one line.
    DRIVER_LOG.setLevel(Level.OFF);
  }

  private final Fleet fleet;
  /** A login's: every wait of it together within db_timeout. Null: each step within it. */
  private final LoginBudget login;

  PgConnector(Fleet fleet) {
    this(fleet, null);
  }

  PgConnector(Fleet fleet, LoginBudget login) {
    this.fleet = fleet;
    this.login = login;
  }

  LoginBudget login() {
    return login;
  }

  Fleet fleet() {
    return fleet;
  }

  /** pgjdbc takes whole seconds for its socket timeouts: rounded up, at least 1. */
  static int seconds(Duration d) {
    long s = (d.toMillis() + 999) / 1000;
    return (int) Math.max(1, Math.min(s, Integer.MAX_VALUE));
  }

  /** A new connection in autocommit mode, or a StoreException saying why not. */
  Connection connect() throws StoreException {
    Properties p = new Properties();
    p.setProperty("user", fleet.dbUser());
    String password = null;
    if (fleet.dbPasswordFile() != null) {
      password = DbPassword.read(fleet.dbPasswordFile());
      p.setProperty("password", password);
    }
    Duration allowed = login == null ? fleet.dbTimeout() : login.remaining();
    String timeout = Integer.toString(seconds(allowed));
    p.setProperty("connectTimeout", timeout);
    p.setProperty("socketTimeout", timeout);
    // The one timeout pgjdbc takes in fractions of a second: connect, TLS and login together.
    p.setProperty("loginTimeout", Double.toString(Math.max(1, allowed.toMillis()) / 1000.0));
    p.setProperty("ApplicationName", "loginwarden");
    // Sent in the startup packet: no extra round trip. The server stops work the client has
    // stopped waiting for.
    // (At least 1 ms: 0 would mean no timeout.)
    p.setProperty("options", "-c statement_timeout=" + Math.max(1, allowed.toMillis()));
    // Version 10 or later is needed anyway (ON CONFLICT, ...); assuming it lets the driver put
    // its session settings in the startup packet instead of two extra queries.
    p.setProperty("assumeMinServerVersion", "10");
    try {
      // The driver class directly, not DriverManager: no scan of every service on the path.
      Connection c = new org.postgresql.Driver().connect(fleet.dbUrl(), p);
      if (c == null) {
        throw new StoreException("cannot connect to " + safeUrl() + ": not a PostgreSQL URL");
      }
      if (login != null) {
        login.watch(c);
      }
      return c;
    } catch (SQLException e) {
      throw failure("connect to " + safeUrl(), e, password);
    }
  }

  String safeUrl() {
    return fleet.safeUrl();
  }

  /** {@code cannot <what>: <SQLState> <reason>}, scrubbed of the URL and the password. */
  StoreException failure(String what, SQLException e) {
    return failure(what, e, null);
  }

  private StoreException failure(String what, SQLException e, String password) {
    String state = e.getSQLState() == null ? "-----" : e.getSQLState();
    // A connection cut by the login's deadline fails as "connection lost": say why instead.
    String reason = login != null && login.expired() ? "no answer within db_timeout"
        : scrub(reason(e), password);
    return new StoreException("cannot " + what + ": " + state + " " + reason);
  }

  /** The server's own primary message when there is one, else what the client saw. */
  static String reason(SQLException e) {
    if (e instanceof PSQLException p) {
      ServerErrorMessage server = p.getServerErrorMessage();
      if (server != null && server.getMessage() != null) {
        return server.getMessage();
      }
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ConnectException) {
        return "connection refused";
      }
      if (t instanceof SocketTimeoutException) {
        return "no answer within db_timeout";
      }
      if (t instanceof UnknownHostException) {
        return "unknown host";
      }
      if (t instanceof SSLException) {
        return "TLS failed (" + t.getClass().getSimpleName() + ")";
      }
      if (t instanceof IOException) {
        return "connection lost (" + t.getClass().getSimpleName() + ")";
      }
    }
    return String.valueOf(e.getMessage());
  }

  /** One short line without the URL's parameters or the password, whatever the driver said. */
  String scrub(String text, String password) {
    String line = text.lines().findFirst().orElse("").strip();
    String url = fleet.dbUrl();
    line = line.replace(url, safeUrl());
    int query = url.indexOf('?');
    if (query >= 0) {
      line = line.replace(url.substring(query + 1), "(parameters)");
      // The driver quotes a parameter's value it refuses ("Invalid sslmode value: ...").
      for (String param : url.substring(query + 1).split("&")) {
        String value = param.substring(param.indexOf('=') + 1);
        if (value.length() >= 3) {
          line = line.replaceAll("(?<![\\w-])" + java.util.regex.Pattern.quote(value)
              + "(?![\\w-])", "(parameter)");
        }
      }
    }
    if (password != null && !password.isEmpty()) {
      line = line.replace(password, "(password)");
    }
    return line.length() > 200 ? line.substring(0, 200) + "..." : line;
  }
}
