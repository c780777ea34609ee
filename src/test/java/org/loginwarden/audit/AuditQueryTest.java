package org.loginwarden.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.loginwarden.core.AuditRecord;

/** Reading the audit trail back: times, filters, foreign lines, rotated files. */
class AuditQueryTest {

  private static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @ParameterizedTest
  @CsvSource({
      "2h, 2026-11-22T10:00:00Z",
      "7d, 2026-11-15T12:00:00Z",
      "90s, 2026-11-22T11:58:30Z",
      "2026-11-20, 2026-11-20T00:00:00Z",
      "2026-11-20T08:30, 2026-11-20T08:30:00Z",
      "2026-11-20 08:30:15, 2026-11-20T08:30:15Z",
      "2026-11-20T08:30:00Z, 2026-11-20T08:30:00Z",
      "2026-11-20T09:30:00+01:00, 2026-11-20T08:30:00Z",
      "2026-11-20T09:30+0100, 2026-11-20T08:30:00Z"})
  void timesAsAdminsWriteThem(String text, String expected) {
    assertEquals(Instant.parse(expected), AuditQuery.time(text, NOW));
  }

  @ParameterizedTest
  @ValueSource(strings = {"yesterday", "2h ago", "90", "2026-13-01", "20261120", "-2h", "2026-11-20T25:00",
      ""})
  void otherTimesAreRefusedWithTheFormsNamed(String text) {
    String e = assertThrows(IllegalArgumentException.class, () -> AuditQuery.time(text, NOW))
        .getMessage();
    assertTrue(e.contains("ISO-8601") && e.contains("7d"), e);
  }

  /** A line as the real AuditLog writes it. */
  private static String line(String event, String user, Instant at) throws IOException {
    AuditLog log = new AuditLog(Path.of("/nonexistent"), "host1",
        Clock.fixed(at, ZoneOffset.UTC));
    return new String(log.line(new AuditRecord(event, user, null, "r", "root", false), at),
        StandardCharsets.UTF_8).strip();
  }

  @Test
  void filtersByUserEventAndHalfOpenTimeRange() throws IOException {
    JsonNode lock = AuditQuery.parse(JSON, line("lock", "alice", Instant.parse(
        "2026-11-22T10:00:00Z")));
    assertTrue(new AuditQuery(null, null, null, Set.of()).matches(lock));
    assertTrue(new AuditQuery("alice", null, null, Set.of("lock", "unlock")).matches(lock));
    assertFalse(new AuditQuery("bob", null, null, Set.of()).matches(lock));
    assertFalse(new AuditQuery(null, null, null, Set.of("open")).matches(lock));
    Instant t = Instant.parse("2026-11-22T10:00:00Z");
    assertTrue(new AuditQuery(null, t, null, Set.of()).matches(lock), "since is inclusive");
    assertFalse(new AuditQuery(null, null, t, Set.of()).matches(lock), "until is exclusive");
    assertFalse(new AuditQuery(null, t.plusSeconds(1), null, Set.of()).matches(lock));
  }

  @ParameterizedTest
  @ValueSource(strings = {"not json", "[1,2]", "{\"event\":\"open\"}", "{\"time\":\"x\","
      + "\"event\":\"open\",\"user\":\"a\"}", "{\"time\":\"2026-11-22T10:00:00Z\",\"event\":1,"
      + "\"user\":\"a\"}", "{\"time\":\"2026-11-22T10:00:00Z\",\"event\":\"open\","
      + "\"user\":\"a\"", "\u0000\u0001"})
  void foreignLinesAreNotRecords(String line) {
    assertNull(AuditQuery.parse(JSON, line));
  }

  private void write(String name, String text, boolean gzip) throws IOException {
    try (OutputStream out = gzip ? new GZIPOutputStream(Files.newOutputStream(dir.resolve(name)))
        : Files.newOutputStream(dir.resolve(name))) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }

  @Test
  void rotatedFilesAreReadOldestFirstGzippedOrNot() throws IOException {
    write("audit.jsonl.10.gz", "ten\n", true);
    write("audit.jsonl.2.gz", "two\n", true);
    write("audit.jsonl.1", "one\n", false);
    write("audit.jsonl", "live", false);
    write("audit.jsonl-20261101.gz", "dated\n", true);
    write("audit.jsonl.old", "not ours\n", false);
    write("other.jsonl.1", "not ours\n", false);
    List<String> names = AuditFiles.inOrder(dir.resolve("audit.jsonl")).stream()
        .map(p -> p.getFileName().toString()).toList();
    assertEquals(List.of("audit.jsonl-20261101.gz", "audit.jsonl.10.gz", "audit.jsonl.2.gz",
        "audit.jsonl.1", "audit.jsonl"), names);
    List<String> lines = new ArrayList<>();
    for (String n : names) {
      AuditFiles.lines(dir.resolve(n), lines::add);
    }
    assertEquals(List.of("dated", "ten", "two", "one", "live"), lines);
    assertEquals(List.of(), AuditFiles.inOrder(dir.resolve("absent/audit.jsonl")));
  }

  @Test
  void anOverlongLineIsSkippedWithoutBeingHeld() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write("first\n".getBytes(StandardCharsets.UTF_8));
    b.write(new byte[AuditFiles.MAX_LINE + 10]);
    b.write("\nlast\n".getBytes(StandardCharsets.UTF_8));
    Files.write(dir.resolve("a"), b.toByteArray());
    List<String> lines = new ArrayList<>();
    AuditFiles.lines(dir.resolve("a"), lines::add);
    assertEquals(3, lines.size());
    assertEquals("first", lines.get(0));
    assertNull(lines.get(1));
    assertEquals("last", lines.get(2));
  }
}
