package org.loginwarden.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.EOFException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.loginwarden.config.Fleet;
import org.loginwarden.core.Session;
import org.loginwarden.core.UserState;

/** The fleet store's pure parts: timeouts, error lines, and who is told to end what. */
class PgConnectorTest {

  private static final String URL =
      "jdbc:postgresql://db.example.org:5432/lw?sslmode=verify-full&sslrootcert=/etc/ca.pem";
  private static final PgConnector DB = new PgConnector(new Fleet(URL, "loginwarden",
      Path.of("/etc/security/loginwarden.dbpass"), Duration.ofMillis(1500), null,
      Duration.ofSeconds(30)));
  private static final Instant T = Instant.parse("2026-11-22T10:00:00Z");

  @Test
  void timeoutsAreWholeSecondsRoundedUp() {
    assertEquals(1, PgConnector.seconds(Duration.ofMillis(1)));
    assertEquals(1, PgConnector.seconds(Duration.ofSeconds(1)));
    assertEquals(2, PgConnector.seconds(Duration.ofMillis(1001)));
    assertEquals(30, PgConnector.seconds(Duration.ofSeconds(30)));
  }

  @Test
  void aFailureIsOneLineWithoutTheUrlParametersOrThePassword() {
    assertEquals("cannot connect to postgresql://db.example.org:5432/lw: 08001 Connection to "
        + "postgresql://db.example.org:5432/lw failed", DB.failure("connect to " + DB.safeUrl(),
        new SQLException("Connection to " + URL + " failed\nsecond line", "08001")).getMessage());
    assertEquals("x (parameters) (parameter) y", DB.scrub("x sslmode=verify-full&sslrootcert="
        + "/etc/ca.pem verify-full y", null));
    assertEquals("bad (password) here", DB.scrub("bad hunter22 here", "hunter22"));
    assertEquals("a".repeat(200) + "...", DB.scrub("a".repeat(300), null));
  }

  @Test
  void whatTheClientSawIsNamedByItsCause() {
    assertEquals("connection refused", PgConnector.reason(
        new SQLException("Connection to h:1 refused", "08001", new ConnectException("x"))));
    assertEquals("no answer within db_timeout", PgConnector.reason(
        new SQLException("An I/O error occurred", "08006", new SocketTimeoutException())));
    assertEquals("unknown host", PgConnector.reason(
        new SQLException("failed", "08001", new UnknownHostException("db.example.org"))));
    assertEquals("connection lost (EOFException)", PgConnector.reason(
        new SQLException("An I/O error occurred", "08006", new EOFException())));
    assertEquals("This connection has been closed.", PgConnector.reason(
        new SQLException("This connection has been closed.", "08003")));
  }

  private static Session session(long pid, String host, Instant ending) {
    return new Session(pid, pid, Session.NO_AUDIT_SESSION, "sshd", null, 0, null, null, null, T,
        ending, null, host);
  }

  @Test
  void hostsToKickAreOtherHostsWhoseSessionsThisWriteEnds() {
    UserState before = new UserState("u", List.of(session(1, "a", null), session(2, "b", null),
        session(3, "c", T), session(4, null, null), session(7, "f", null)), List.of(), null);
    UserState after = new UserState("u", List.of(session(1, "a", T), session(2, "b", T),
        session(3, "c", T), session(4, null, T), session(5, "d", T), session(6, "e", null),
        session(7, "g", T)), List.of(), null);
    // b: ended now; d: new and ending; g: a session of g (same pid as f's, another host).
    assertEquals(Set.of("b", "d", "g"), PostgresStateStore.hostsToKick(before, after, "a"));
    assertEquals(Set.of(), PostgresStateStore.hostsToKick(after, after, "a"));
    assertEquals(Set.of(), PostgresStateStore.hostsToKick(after, UserState.empty("u"), "a"));
  }
}
