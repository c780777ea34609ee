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
import java.util.function.Consumer;
import org.loginwarden.audit.AuditFiles;
import org.loginwarden.audit.AuditQuery;
import org.loginwarden.config.Config;
import org.loginwarden.config.ConfigException;
import org.loginwarden.store.FleetStore;
import org.loginwarden.store.StoreException;

/**
 * {@code loginwarden audit}: the audit trail, filtered: this host's file with its rotated files,
 * or in fleet mode the fleet's one trail in the database.
 */
final class AuditRunner {

  private final Wiring wiring;
  private final Main.Io io;

  AuditRunner(Wiring wiring, Main.Io io) {
    this.wiring = wiring;
    this.io = io;
  }

  /**
   * @param local this host's audit file even in fleet mode (where the fleet's trail is read),
   *              for when the database is out of reach
   */
  ExitCode run(String user, String since, String until, List<String> events, boolean json,
      boolean noLegend, boolean local) {
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
    Config config;
    try {
      config = wiring.config();
    } catch (ConfigException e) {
      throw new Failure(ExitCode.CONFIG, "cannot read configuration: " + e.getMessage());
    }
    boolean fleetWide = config.fleet() != null && !local;
    Shown shown = new Shown(query, json, fleetWide);
    String source = fleetWide ? fromFleet(config, query, shown) : fromFiles(config, shown);
    PrintWriter out = io.out();
    if (!json) {
      out.print(AuditView.table(shown.rows, shown.skipped, source, fleetWide, !noLegend));
    } else if (shown.skipped > 0) {
      io.err().println("loginwarden: " + shown.skipped + " line(s) skipped: not loginwarden "
          + "audit records");
    }
    out.flush();
    return ExitCode.OK;
  }

  /** The lines read, filtered: printed at once as JSON, or gathered for the table. */
  private final class Shown implements Consumer<String> {
    private final ObjectMapper mapper = new ObjectMapper();
    private final AuditQuery query;
    private final boolean json;
    private final boolean withHost;
    final List<String[]> rows = new ArrayList<>();
    int skipped;

    Shown(AuditQuery query, boolean json, boolean withHost) {
      this.query = query;
      this.json = json;
      this.withHost = withHost;
    }

    @Override
    public void accept(String line) {
      JsonNode r = AuditQuery.parse(mapper, line);
      if (r == null) {
        if (line == null || !line.isBlank()) {
          skipped++;
        }
      } else if (query.matches(r)) {
        if (json) {
          io.out().println(AuditView.withFingerprint(r).toString());
        } else {
          rows.add(AuditView.row(r, withHost));
        }
      }
    }
  }

  /** This host's audit file and its rotated files, oldest first. Returns where from. */
  private String fromFiles(Config config, Shown shown) {
    Path log = config.auditLog();
    List<Path> files;
    try {
      files = AuditFiles.inOrder(log);
      if (files.isEmpty()) {
        throw new Failure(ExitCode.STATE, "cannot read audit log " + log + ": no such file");
      }
      for (Path f : files) {
        try {
          AuditFiles.lines(f, shown);
        } catch (IOException e) {
          // A damaged rotated file (truncated gzip) must not hide the others.
          io.err().println("loginwarden: cannot read " + f + " to its end: " + e.getMessage());
          shown.skipped++;
        }
      }
    } catch (IOException e) {
      throw new Failure(ExitCode.STATE, "cannot read audit log " + log + ": " + e.getMessage());
    }
    return files.size() + (files.size() == 1 ? " file" : " files");
  }

  /** The fleet's one trail, every host's lines, from the database. Returns where from. */
  private String fromFleet(Config config, AuditQuery query, Shown shown) {
    try (FleetStore fleet = wiring.adminFleetStore()) {
      fleet.readAudit(query.user(), query.since(), query.until(), shown);
    } catch (StoreException e) {
      throw new Failure(ExitCode.STATE, e.getMessage() + " (--local reads this host's audit "
          + "log)");
    } catch (ConfigException e) {
      throw new Failure(ExitCode.CONFIG, "cannot read configuration: " + e.getMessage());
    }
    return "the fleet database";
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
