package org.loginwarden.cli;

import java.time.Duration;
import java.util.Map;
import org.loginwarden.config.ConfigException;
import org.loginwarden.config.Fleet;
import org.loginwarden.core.Durations;
import org.loginwarden.store.FleetSchema;
import org.loginwarden.store.StoreException;

/** {@code loginwarden db init|status}: the fleet database's schema, for store = postgresql. */
final class DbRunner {

  private final Wiring wiring;
  private final Main.Io io;

  DbRunner(Wiring wiring, Main.Io io) {
    this.wiring = wiring;
    this.io = io;
  }

  ExitCode init() {
    try {
      FleetSchema.Upgrade u = FleetSchema.init(fleet("initialise the database"));
      io.out().println(u.from() == 0 ? "schema created: version " + u.to()
          : u.changed() ? "schema upgraded: version " + u.from() + " to " + u.to()
          : "schema up to date: version " + u.to());
      io.out().flush();
      return ExitCode.OK;
    } catch (StoreException e) {
      throw new Failure(ExitCode.STATE, e.getMessage());
    }
  }

  ExitCode status() {
    try {
      FleetSchema.Status s = FleetSchema.status(fleet("read the database status"));
      io.out().print(view(s));
      io.out().flush();
      return s.version() == FleetSchema.VERSION ? ExitCode.OK : ExitCode.STATE;
    } catch (StoreException e) {
      throw new Failure(ExitCode.STATE, e.getMessage());
    }
  }

  static String view(FleetSchema.Status s) {
    StringBuilder b = new StringBuilder();
    b.append("schema version: ").append(s.version() == 0 ? "none (run loginwarden db init)"
        : Integer.toString(s.version())).append('\n');
    b.append("users: ").append(s.users()).append('\n');
    b.append("pending kicks: ").append(s.kicks()).append('\n');
    b.append(String.format("%-40s %s%n", "HOST", "LAST HEARTBEAT"));
    for (Map.Entry<String, Duration> h : s.heartbeatAges().entrySet()) {
      b.append(String.format("%-40s %s ago%n", h.getKey(), Durations.human(h.getValue())));
    }
    b.append(String.format("%n%d host(s) listed.%n", s.heartbeatAges().size()));
    return b.toString();
  }

  private Fleet fleet(String what) {
    try {
      Fleet f = wiring.config().fleet();
      if (f == null) {
        throw new Failure(ExitCode.CONFIG, "cannot " + what + ": the configuration says "
            + "store = file; db needs store = postgresql");
      }
      return f;
    } catch (ConfigException e) {
      throw new Failure(ExitCode.CONFIG, "cannot read configuration: " + e.getMessage());
    }
  }
}
