package org.loginwarden.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.loginwarden.audit.AuditFiles;
import org.loginwarden.audit.AuditQuery;
import org.loginwarden.config.ConfigException;

/** {@code loginwarden audit}: the audit trail, rotated files included, filtered. */
final class AuditRunner {

  private final Wiring wiring;
  private final Main.Io io;

  AuditRunner(Wiring wiring, Main.Io io) {
    this.wiring = wiring;
    this.io = io;
  }

  ExitCode run(String user, String since, String until, List<String> events, boolean json,
      boolean noLegend) {
    Instant now = Instant.now();
    Set<String> wanted = Set.copyOf(split(events));
    for (String e : wanted) {
      if (!AuditQuery.EVENTS.contains(e)) {
        throw new Failure(ExitCode.USAGE, "cannot use --event '" + e + "': not an audit event ("
            + String.join(", ", AuditQuery.EVENTS) + ")");
      }
    }
    AuditQuery query = new AuditQuery(user, time("--since", since, now), time("--until", until,
        now), wanted);
    Path log;
    try {
      log = wiring.config().auditLog();
    } catch (ConfigException e) {
      throw new Failure(ExitCode.CONFIG, "cannot read configuration: " + e.getMessage());
    }
    ObjectMapper mapper = new ObjectMapper();
    PrintWriter out = io.out();
    List<String[]> rows = new ArrayList<>();
    int[] skipped = {0};
    List<Path> files;
    try {
      files = AuditFiles.inOrder(log);
      if (files.isEmpty()) {
        throw new Failure(ExitCode.STATE, "cannot read audit log " + log + ": no such file");
      }
      for (Path f : files) {
        try {
          AuditFiles.lines(f, line -> {
            JsonNode r = AuditQuery.parse(mapper, line);
            if (r == null) {
              if (line == null || !line.isBlank()) {
                skipped[0]++;
              }
            } else if (query.matches(r)) {
              if (json) {
                out.println(AuditView.withFingerprint(r).toString());
              } else {
                rows.add(AuditView.row(r));
              }
            }
          });
        } catch (IOException e) {
          // A damaged rotated file (truncated gzip) must not hide the others.
          io.err().println("loginwarden: cannot read " + f + " to its end: " + e.getMessage());
          skipped[0]++;
        }
      }
    } catch (IOException e) {
      throw new Failure(ExitCode.STATE, "cannot read audit log " + log + ": " + e.getMessage());
    }
    if (!json) {
      out.print(AuditView.table(rows, skipped[0], files.size(), !noLegend));
    } else if (skipped[0] > 0) {
      io.err().println("loginwarden: " + skipped[0] + " line(s) skipped: not loginwarden audit"
          + " records");
    }
    out.flush();
    return ExitCode.OK;
  }

  private static Instant time(String option, String text, Instant now) {
    if (text == null) {
      return null;
    }
    try {
      return AuditQuery.time(text, now);
    } catch (IllegalArgumentException e) {
      throw new Failure(ExitCode.USAGE, "cannot use " + option + ": " + e.getMessage());
    }
  }

  private static List<String> split(List<String> values) {
    List<String> out = new ArrayList<>();
    for (String v : values) {
      for (String e : v.split("[\\s,]+")) {
        if (!e.isEmpty()) {
          out.add(e);
        }
      }
    }
    return out;
  }
}
