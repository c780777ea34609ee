package org.loginwarden.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.loginwarden.config.Fleet;
import org.loginwarden.pg.PostgresServer;
import org.loginwarden.store.FleetSchema;
import org.loginwarden.store.PostgresStateStore;
import org.loginwarden.store.StoreException;

/** Audit lines kept on a host while the fleet database is away, sent to a real PostgreSQL. */
class PendingAuditIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(2);
  private static final Instant T = Instant.parse("2026-11-23T10:00:00Z");

  private static PostgresServer pg;
  private static String database;
  private PostgresStateStore fleet;

  @TempDir Path state;

  @BeforeAll
  static void server() throws Exception {
    pg = PostgresServer.shared();
    database = pg.createDatabase();
    FleetSchema.init(pg.fleet(database, TIMEOUT, null));
  }

  @BeforeEach
  void store() throws Exception {
    pg.admin(database, "TRUNCATE lw_audit");
    fleet = PostgresStateStore.open(pg.fleet(database, TIMEOUT, "host-a"), TIMEOUT, "host-a");
  }

  @AfterEach
  void close() {
    fleet.close();
  }

  private PendingAudit pending() {
    return new PendingAudit(state.resolve("fleet-audit"), TIMEOUT);
  }

  private static String line(int i) {
    return "{\"time\":\"" + T.plusSeconds(i) + "\",\"host\":\"h\",\"hostId\":\"host-a\","
        + "\"event\":\"open\",\"user\":\"u" + i + "\",\"reason\":\"r\",\"by\":\"loginwarden\"}";
  }

  private List<String> trail() throws StoreException {
    List<String> lines = new ArrayList<>();
    fleet.readAudit(null, null, null, lines::add);
    return lines;
  }

  @Test
  void keptLinesReachTheTrailOnceAndTheFilesGo() throws Exception {
    PendingAudit p = pending();
    p.add(List.of(line(1), line(2)));
    p.add(List.of(line(3)));
    Path dir = state.resolve("fleet-audit");
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
    assertEquals("rw-------", PosixFilePermissions.toString(
        Files.getPosixFilePermissions(dir.resolve("pending.jsonl"))));

    assertEquals(3, p.send(fleet));
    assertEquals(List.of(line(1), line(2), line(3)), trail());
    assertFalse(Files.exists(dir.resolve("pending.jsonl")));
    assertFalse(Files.exists(dir.resolve("sending.jsonl")));
    assertEquals(0, p.send(fleet), "nothing left");
  }

  /** A watcher that crashed after sending, before removing the file, sends it again: no harm. */
  @Test
  void aFileLeftBySendingIsSentAgainWithoutDoublingAndBeforeNewerLines() throws Exception {
    PendingAudit p = pending();
    p.add(List.of(line(1), line(2)));
    fleet.appendAudit(List.of(line(1), line(2)));
    Path dir = state.resolve("fleet-audit");
    Files.move(dir.resolve("pending.jsonl"), dir.resolve("sending.jsonl"));
    p.add(List.of(line(3)));

    assertEquals(3, p.send(fleet));
    assertEquals(List.of(line(1), line(2), line(3)), trail());
  }

  /** A write cut short (a crash, a full disk) leaves a torn line: it is dropped, not sent. */
  @Test
  void aTornLineIsDroppedAndTheRestSent() throws Exception {
    PendingAudit p = pending();
    p.add(List.of(line(1)));
    Files.write(state.resolve("fleet-audit/pending.jsonl"),
        "{\"time\":\"2026-11-23T1".getBytes(StandardCharsets.UTF_8),
        java.nio.file.StandardOpenOption.APPEND);
    p.add(List.of(line(2)));
    assertEquals(1, p.send(fleet), "the torn line and the one glued to it are not records");
    assertEquals(List.of(line(1)), trail());
  }

  @Test
  void aDatabaseStillAwayKeepsEveryLineForTheNextPass() throws Exception {
    PendingAudit p = pending();
    p.add(List.of(line(1), line(2)));
    Fleet nowhere = new Fleet("jdbc:postgresql://127.0.0.1:" + freePort() + "/" + database,
        PostgresServer.ROLE, pg.passwordFile(), TIMEOUT, "host-a", Duration.ofSeconds(30));
    try (PostgresStateStore away = PostgresStateStore.open(nowhere, TIMEOUT, "host-a")) {
      StoreException e = assertThrows(StoreException.class, () -> p.send(away));
      assertTrue(e.getMessage().contains("connection refused"), e.getMessage());
    }
    p.add(List.of(line(3)));
    assertEquals(3, p.send(fleet));
    assertEquals(List.of(line(1), line(2), line(3)), trail());
  }

  private static int freePort() throws Exception {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1,
        java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
