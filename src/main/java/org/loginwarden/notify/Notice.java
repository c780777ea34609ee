package org.loginwarden.notify;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.StringWriter;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.loginwarden.core.AuditRecord;
import org.loginwarden.core.Session;

/**
 * One notification: an audit record as the notifier sees it, as environment variables, as one
 * JSON object and as a mail. Pure: building and formatting only.
 *
 * @param event      the {@link NotifyEvent} name
 * @param auditEvent the audit line's own event ({@code expired} for a {@code time_limit})
 * @param rport      the remote port, 0 when unknown
 */
public record Notice(String event, String auditEvent, String user, String host, Instant time,
    String service, String rhost, int rport, String tty, String authMethod, String reason,
    String by, boolean dryRun) {

  private static final JsonFactory JSON = new JsonFactory();
  /** Values are clipped so that a batch of notices always fits a pipe's buffer. */
  static final int MAX_VALUE = 512;
  private static final Pattern VIOLATION_LOCK = Pattern.compile("^violation (\\d+) of .*");
  private static final Pattern AUTH_LOCK = Pattern.compile("^failed login (\\d+) of .*");

  public Notice {
    user = clip(user);
    host = clip(host);
    service = clip(service);
    rhost = clip(rhost);
    tty = clip(tty);
    authMethod = clip(authMethod);
    reason = clip(reason);
    by = clip(by);
  }

  /** The notice for a record, or null when the record is no {@link NotifyEvent}. */
  public static Notice of(AuditRecord r, String host, Instant time) {
    String event = NotifyEvent.of(r);
    if (event == null) {
      return null;
    }
    Session s = r.session();
    return new Notice(event, r.event(), r.user(), host, time,
        s == null ? null : s.service(), s == null ? null : s.remoteHost(),
        s == null ? 0 : s.remotePort(), s == null ? null : s.tty(),
        s == null ? null : s.authMethod(), r.reason(), r.by(), r.dryRun());
  }

  /** One line for people: what happened to whom, where. The mail's subject. */
  public String headline() {
    String on = " on " + host;
    String from = rhost == null ? "" : " from " + rhost;
    String text = switch (event) {
      case "open" -> user + " logged in" + on + from
          + (authMethod == null ? "" : " with " + authMethod);
      case "violation" -> "concurrent login of " + user + on + from + ": " + reason;
      case "kick" -> "session of " + user + " ended" + on + ": " + reason;
      case "refuse" -> "login of " + user + " refused" + on + from + ": " + reason;
      case "lock" -> {
        Matcher m = VIOLATION_LOCK.matcher(nonNull(reason));
        yield user + " locked" + on + (m.matches() ? " after " + m.group(1)
            + " concurrent logins" : AuditRecord.BY_LOGINWARDEN.equals(by) ? ": " + reason
            : " by " + by);
      }
      case "auth_lockout" -> {
        Matcher m = AUTH_LOCK.matcher(nonNull(reason));
        yield user + " locked out" + on + (m.matches() ? " after " + m.group(1)
            + " failed logins" : ": " + reason);
      }
      case "unlock" -> user + " unlocked" + on + (AuditRecord.BY_LOGINWARDEN.equals(by)
          ? ": " + reason : " by " + by);
      case "time_limit" -> "session of " + user + " ended" + on + ": " + reason;
      default -> "error" + on + " (" + user + "): " + reason;
    };
    return "loginwarden: " + text + (dryRun ? " (dry run)" : "");
  }

  /** The notifier's environment: every field, empty when unknown. */
  public Map<String, String> environment() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("LOGINWARDEN_EVENT", event);
    env.put("LOGINWARDEN_AUDIT_EVENT", auditEvent);
    env.put("LOGINWARDEN_USER", user);
    env.put("LOGINWARDEN_HOST", host);
    env.put("LOGINWARDEN_TIME", time.toString());
    env.put("LOGINWARDEN_SERVICE", service);
    env.put("LOGINWARDEN_RHOST", rhost);
    env.put("LOGINWARDEN_RPORT", rport > 0 ? Integer.toString(rport) : null);
    env.put("LOGINWARDEN_TTY", tty);
    env.put("LOGINWARDEN_AUTH_METHOD", authMethod);
    env.put("LOGINWARDEN_REASON", reason);
    env.put("LOGINWARDEN_BY", by);
    env.put("LOGINWARDEN_DRY_RUN", Boolean.toString(dryRun));
    env.put("LOGINWARDEN_SUBJECT", headline());
    // A NUL cannot be passed in an environment at all; other bytes are the notifier's to quote.
    env.replaceAll((k, v) -> v == null ? "" : v.replace('\0', '?'));
    return env;
  }

  /** One JSON object, one line: the notifier's stdin. */
  public String json() {
    StringWriter w = new StringWriter();
    try (JsonGenerator g = JSON.createGenerator(w)) {
      g.writeStartObject();
      g.writeStringField("event", event);
      g.writeStringField("auditEvent", auditEvent);
      g.writeStringField("user", user);
      g.writeStringField("host", host);
      g.writeStringField("time", time.toString());
      g.writeStringField("service", service);
      g.writeStringField("rhost", rhost);
      if (rport > 0) {
        g.writeNumberField("rport", rport);
      } else {
        g.writeNullField("rport");
      }
      g.writeStringField("tty", tty);
      g.writeStringField("authMethod", authMethod);
      g.writeStringField("reason", reason);
      g.writeStringField("by", by);
      g.writeBooleanField("dryRun", dryRun);
      g.writeStringField("subject", headline());
      g.writeEndObject();
    } catch (IOException e) {
      throw new IllegalStateException("writing JSON to memory cannot fail", e);
    }
    return w.toString();
  }

  /** Reads {@link #json}. */
  public static Notice parse(String line) throws IOException {
    JsonNode n = new ObjectMapper().readTree(line);
    if (n == null || !n.isObject() || !NotifyEvent.NAMES.contains(n.path("event").asText())) {
      throw new IOException("not a notice: " + clip(line));
    }
    try {
      return new Notice(n.path("event").asText(), text(n, "auditEvent"), text(n, "user"),
          text(n, "host"), Instant.parse(n.path("time").asText()), text(n, "service"),
          text(n, "rhost"), n.path("rport").asInt(0), text(n, "tty"), text(n, "authMethod"),
          text(n, "reason"), text(n, "by"), n.path("dryRun").asBoolean(false));
    } catch (java.time.DateTimeException e) {
      throw new IOException("not a notice: bad time", e);
    }
  }

  /**
   * The whole message for {@code sendmail -t -oi}. Every header value is one printable ASCII
   * line (anything else becomes {@code ?}), so no field can add a header or a recipient; the
   * recipients themselves were checked as plain addresses when the config was read.
   */
  public String mail(List<String> to) {
    StringBuilder m = new StringBuilder();
    m.append("To: ").append(headerSafe(String.join(", ", to))).append('\n');
    m.append("Subject: ").append(headerSafe(headline())).append('\n');
    m.append("Auto-Submitted: auto-generated\n");
    m.append("MIME-Version: 1.0\n");
    m.append("Content-Type: text/plain; charset=UTF-8\n");
    m.append("Content-Transfer-Encoding: 8bit\n\n");
    m.append(bodySafe(headline())).append("\n\n");
    Map<String, String> fields = new LinkedHashMap<>();
    fields.put("event", event);
    fields.put("audit event", auditEvent);
    fields.put("user", user);
    fields.put("host", host);
    fields.put("time", time.toString());
    fields.put("remote", rhost == null ? null : rhost + (rport > 0 ? " port " + rport : ""));
    fields.put("service", service);
    fields.put("tty", tty);
    fields.put("auth", authMethod);
    fields.put("reason", reason);
    fields.put("by", by);
    fields.put("dry run", dryRun ? "yes (nothing was enforced)" : null);
    fields.forEach((k, v) -> {
      if (v != null) {
        m.append(String.format("%-12s %s%n", k + ":", bodySafe(v)));
      }
    });
    return m.toString();
  }

  static String headerSafe(String s) {
    StringBuilder b = new StringBuilder();
    s.codePoints().limit(300).forEach(c -> b.append(c >= 0x20 && c < 0x7f ? (char) c : '?'));
    return b.toString();
  }

  private static String bodySafe(String s) {
    StringBuilder b = new StringBuilder();
    s.codePoints().forEach(c -> {
      if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
        b.append('?');
      } else {
        b.appendCodePoint(c);
      }
    });
    return b.toString();
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }

  private static String nonNull(String s) {
    return s == null ? "" : s;
  }

  private static String clip(String s) {
    return s == null || s.length() <= MAX_VALUE ? s : s.substring(0, MAX_VALUE) + "...";
  }
}
