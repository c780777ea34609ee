package org.loginwarden.audit;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.loginwarden.core.Durations;

/**
 * Which audit records {@code loginwarden audit} shows: by user, time range and event. Pure.
 *
 * @param since  inclusive, or null
 * @param until  exclusive, or null
 * @param events empty for all
 */
public record AuditQuery(String user, Instant since, Instant until, Set<String> events) {

  /** Every event the audit trail writes. */
  public static final List<String> EVENTS = List.of("open", "close", "refuse", "violation",
      "kick", "lock", "unlock", "error", "warn", "expired", "idle", "auth_attempt",
      "auth_success", "console", "notify_failed");

  private static final Pattern RELATIVE = Pattern.compile("\\d{1,9}[smhd]");

  public AuditQuery {
    events = Set.copyOf(events);
  }

  /**
   * A point in time as an admin writes it: {@code 2h} or {@code 7d} ago, an ISO-8601 date
   * ({@code 2026-11-22}, its start), date and time ({@code 2026-11-22T10:00},
   * {@code 2026-11-22 10:00:30}), with an offset or {@code Z} or else in UTC, as the log is.
   *
   * @throws IllegalArgumentException with a message fit for a usage error
   */
  public static Instant time(String text, Instant now) {
    String t = text.strip();
    try {
      if (RELATIVE.matcher(t).matches()) {
        return now.minus(Durations.parse(t));
      }
      if (t.length() == 10) {
        return LocalDate.parse(t).atStartOfDay(ZoneOffset.UTC).toInstant();
      }
      String iso = t.replace(' ', 'T');
      if (iso.endsWith("Z") || iso.matches(".*[+-]\\d\\d:?\\d\\d$")) {
        return OffsetDateTime.parse(iso.replaceFirst("([+-]\\d\\d)(\\d\\d)$", "$1:$2"))
            .toInstant();
      }
      return LocalDateTime.parse(iso).toInstant(ZoneOffset.UTC);
    } catch (DateTimeException | IllegalArgumentException e) {
      throw new IllegalArgumentException("expected an ISO-8601 date or time (2026-11-22, "
          + "2026-11-22T10:00, 2026-11-22T10:00:00+01:00) or a time ago (90m, 2h, 7d), got '"
          + (t.length() > 40 ? t.substring(0, 40) + "..." : t) + "'");
    }
  }

  /**
   * A line of the log as a record, or null when it is not one (not JSON, not an object, no
   * time, event or user): such lines are skipped and counted, never fatal.
   */
  public static JsonNode parse(com.fasterxml.jackson.databind.ObjectMapper json, String line) {
    if (line == null || line.isBlank()) {
      return null;
    }
    try {
      JsonNode n = json.readTree(line);
      if (n == null || !n.isObject() || !n.path("event").isTextual()
          || !n.path("user").isTextual() || !n.path("time").isTextual()) {
        return null;
      }
      Instant.parse(n.path("time").asText());
      return n;
    } catch (java.io.IOException | DateTimeException e) {
      return null;
    }
  }

  /** Whether a parsed record is asked for. */
  public boolean matches(JsonNode r) {
    if (user != null && !user.equals(r.path("user").asText())) {
      return false;
    }
    if (!events.isEmpty() && !events.contains(r.path("event").asText())) {
      return false;
    }
    Instant t = Instant.parse(r.path("time").asText());
    return (since == null || !t.isBefore(since)) && (until == null || t.isBefore(until));
  }
}
