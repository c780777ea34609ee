package org.loginwarden.audit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import org.loginwarden.core.AuditRecord;
import org.loginwarden.core.IsoInstants;
import org.loginwarden.core.Session;

/**
 * The audit trail: one JSON object per line. Jackson writes every value, so a hostile user
 * name or host cannot forge a line. Each line is one append-mode write(2), so concurrent hooks
 * never interleave within a line.
 */
public final class AuditLog {

  private static final JsonFactory JSON = new JsonFactory();
  private static final int MAX_FIELD = 4096;

  private final Path file;
  private final String host;
  private final String hostId;
  private final Clock clock;

  public AuditLog(Path file, String host, Clock clock) {
    this(file, host, null, clock);
  }

  /** In fleet mode, each line also names the fleet's {@code hostId} of the host writing it. */
  public AuditLog(Path file, String host, String hostId, Clock clock) {
    this.file = file;
    this.host = host;
    this.hostId = hostId;
    this.clock = clock;
  }

  public Path file() {
    return file;
  }

  /** Appends one record; returns the line written, without its newline. */
  public String write(AuditRecord r) throws IOException {
    byte[] line = line(r, clock.instant());
    AppendOnlyFile.append(file, line);
    return new String(line, 0, line.length - 1, java.nio.charset.StandardCharsets.UTF_8);
  }

  byte[] line(AuditRecord r, Instant time) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(512);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("time", IsoInstants.format(time));
      g.writeStringField("host", host);
      if (hostId != null) {
        g.writeStringField("hostId", hostId);
      }
      g.writeStringField("event", r.event());
      g.writeStringField("user", clip(r.user()));
      Session s = r.session();
      if (s != null) {
        g.writeStringField("service", clip(s.service()));
        g.writeStringField("rhost", clip(s.remoteHost()));
        if (s.remotePort() > 0) {
          g.writeNumberField("rport", s.remotePort());
        }
        g.writeStringField("tty", clip(s.tty()));
        g.writeNumberField("pid", s.pid());
        if (s.hasAuditSession()) {
          g.writeNumberField("auditSession", s.auditSession());
        }
        g.writeStringField("authMethod", clip(s.authMethod()));
        g.writeStringField("authKey", clip(s.authKey()));
        g.writeStringField("opened", IsoInstants.format(s.opened()));
      }
      g.writeStringField("reason", clip(r.reason()));
      g.writeStringField("by", clip(r.by()));
      if (r.dryRun()) {
        g.writeBooleanField("dryRun", true);
      }
      g.writeEndObject();
    }
    out.write('\n');
    return out.toByteArray();
  }

  private static String clip(String s) {
    return s == null || s.length() <= MAX_FIELD ? s : s.substring(0, MAX_FIELD) + "...";
  }
}
