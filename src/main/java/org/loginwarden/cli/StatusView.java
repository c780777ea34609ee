package org.loginwarden.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.loginwarden.app.Warden.UserStatus;
import org.loginwarden.core.Deadline;
import org.loginwarden.core.Decider;
import org.loginwarden.core.Durations;
import org.loginwarden.core.Lock;
import org.loginwarden.core.Presence;
import org.loginwarden.core.Session;

/** Renders {@code status}: tables in loginctl's style, or JSON for scripts. */
final class StatusView {

  private final List<UserStatus> users;
  private final Instant now;

  StatusView(Instant now, List<UserStatus> users) {
    this.users = users;
    this.now = now;
  }

  /** The time limit that will end the session, or null (none set, exempt, already ending). */
  private static Deadline deadline(UserStatus u, Session s) {
    return u.exempt() || s.ending() != null ? null
        : Deadline.of(s, Decider.lastActive(s), u.limits());
  }

  String table(boolean legend) {
    StringBuilder out = new StringBuilder();
    List<String[]> sessionRows = new ArrayList<>();
    List<String[]> userRows = new ArrayList<>();
    int sessions = 0;
    int locked = 0;
    for (UserStatus u : users) {
      for (Session s : u.state().sessions()) {
        sessions++;
        Presence p = u.presence().getOrDefault(s.key(), Presence.LIVE);
        Deadline end = deadline(u, s);
        sessionRows.add(new String[] {u.state().user(),
            s.hasAuditSession() ? Long.toString(s.auditSession()) : null,
            // In a fleet, a pid means something only on its host.
            s.host() == null ? Long.toString(s.pid()) : s.host() + ":" + s.pid(),
            s.remoteHost() == null ? null
                : s.remoteHost() + (s.remotePort() > 0 ? " port " + s.remotePort() : ""),
            s.activity() != null && s.activity().pty() != null
                ? s.activity().pty().substring("/dev/".length()) : s.tty(),
            s.service(), time(s.opened()),
            Durations.human(Duration.between(s.opened(), now)),
            Durations.human(Duration.between(Decider.lastActive(s), now)),
            end == null ? null
                : "in " + Durations.human(Duration.between(now, end.at())) + " (" + end.limit() + ")",
            s.ending() != null ? "ending" : p.name().toLowerCase(Locale.ROOT)});
      }
      Lock l = u.state().lock();
      if (l != null) {
        locked++;
      }
      userRows.add(new String[] {u.state().user(), Integer.toString(u.state().sessions().size()),
          u.recentViolations().size() + "/" + u.policy().violations() + " in "
              + Durations.format(u.policy().violationWindow()),
          !u.authPolicy().counts() ? null : u.recentAuthFailures().size() + "/"
              + u.authPolicy().failures() + " in " + Durations.format(u.authPolicy().window()),
          l == null ? null : time(l.since()), l == null ? null : l.reason(),
          l == null ? null : l.until() == null ? "unlock" : time(l.until()),
          l == null || l.until() == null ? null
              : Durations.human(Duration.between(now, l.until()))});
    }
    if (!sessionRows.isEmpty()) {
      render(out, legend, new String[] {"USER", "SESSION", "PID", "REMOTE", "TTY", "SERVICE",
          "OPENED", "AGE", "IDLE", "ENDS", "STATE"}, sessionRows);
      out.append('\n');
    }
    render(out, legend, new String[] {"USER", "SESSIONS", "VIOLATIONS", "FAILURES", "LOCKED",
        "REASON", "UNTIL", "LEFT"}, userRows);
    if (legend) {
      out.append('\n').append(users.size()).append(users.size() == 1 ? " user" : " users")
          .append(" listed, ").append(sessions).append(sessions == 1 ? " session" : " sessions")
          .append(", ").append(locked).append(" locked.\n");
    }
    return out.toString();
  }

  String json() {
    StringWriter w = new StringWriter();
    try (JsonGenerator g = new JsonFactory().createGenerator(w)) {
      g.useDefaultPrettyPrinter();
      g.writeStartObject();
      g.writeArrayFieldStart("users");
      for (UserStatus u : users) {
        g.writeStartObject();
        g.writeStringField("user", u.state().user());
        g.writeArrayFieldStart("sessions");
        for (Session s : u.state().sessions()) {
          g.writeStartObject();
          g.writeNumberField("pid", s.pid());
          g.writeNumberField("startTime", s.startTime());
          if (s.hasAuditSession()) {
            g.writeNumberField("auditSession", s.auditSession());
          }
          if (s.host() != null) {
            g.writeStringField("host", s.host());
          }
          g.writeStringField("service", s.service());
          g.writeStringField("remoteHost", s.remoteHost());
          g.writeNumberField("remotePort", s.remotePort());
          g.writeStringField("tty", s.tty());
          g.writeStringField("authMethod", s.authMethod());
          g.writeStringField("authKey", s.authKey());
          g.writeStringField("opened", s.opened().toString());
          g.writeStringField("ending", s.ending() == null ? null : s.ending().toString());
          g.writeStringField("state", u.presence().getOrDefault(s.key(), Presence.LIVE).name()
              .toLowerCase(Locale.ROOT));
          if (s.activity() != null) {
            g.writeStringField("pty", s.activity().pty());
          }
          g.writeStringField("lastActive", Decider.lastActive(s).toString());
          g.writeNumberField("ageSeconds", Duration.between(s.opened(), now).toSeconds());
          g.writeNumberField("idleSeconds",
              Duration.between(Decider.lastActive(s), now).toSeconds());
          Deadline end = deadline(u, s);
          g.writeStringField("endsAt", end == null ? null : end.at().toString());
          g.writeStringField("endsBy", end == null ? null : end.limit());
          g.writeEndObject();
        }
        g.writeEndArray();
        writeTimes(g, "violations", u.recentViolations());
        g.writeNumberField("violationLimit", u.policy().violations());
        g.writeStringField("violationWindow", Durations.format(u.policy().violationWindow()));
        writeTimes(g, "authFailures", u.recentAuthFailures());
        g.writeNumberField("authFailureLimit", u.authPolicy().failures());
        g.writeStringField("authFailureWindow", Durations.format(u.authPolicy().window()));
        Lock l = u.state().lock();
        g.writeBooleanField("locked", l != null);
        if (l != null) {
          g.writeObjectFieldStart("lock");
          g.writeStringField("since", l.since().toString());
          g.writeStringField("until", l.until() == null ? null : l.until().toString());
          g.writeStringField("reason", l.reason());
          g.writeStringField("by", l.by());
          g.writeBooleanField("shadowLocked", l.saved() != null);
          if (l.until() == null) {
            g.writeNullField("secondsLeft");
          } else {
            g.writeNumberField("secondsLeft", Math.max(0,
                Duration.between(now, l.until()).toSeconds()));
          }
          g.writeEndObject();
        }
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
    } catch (IOException e) {
      throw new IllegalStateException("writing JSON to memory cannot fail", e);
    }
    return w + "\n";
  }

  private static void writeTimes(JsonGenerator g, String field, List<Instant> times)
      throws IOException {
    g.writeArrayFieldStart(field);
    for (Instant t : times) {
      g.writeString(t.toString());
    }
    g.writeEndArray();
  }

  private static String time(Instant t) {
    return t.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
  }

  private static void render(StringBuilder out, boolean header, String[] columns,
      List<String[]> rows) {
    int[] width = new int[columns.length];
    for (int i = 0; i < columns.length; i++) {
      width[i] = header ? columns[i].length() : 1;
      for (String[] r : rows) {
        width[i] = Math.max(width[i], cell(r[i]).length());
      }
    }
    if (header) {
      line(out, columns, width);
    }
    for (String[] r : rows) {
      line(out, r, width);
    }
  }

  private static void line(StringBuilder out, String[] cells, int[] width) {
    StringBuilder l = new StringBuilder();
    for (int i = 0; i < cells.length; i++) {
      l.append(String.format("%-" + width[i] + "s", cell(cells[i])));
      if (i < cells.length - 1) {
        l.append(' ');
      }
    }
    out.append(l.toString().stripTrailing()).append('\n');
  }

  private static String cell(String s) {
    return s == null || s.isEmpty() ? "-" : s;
  }
}
