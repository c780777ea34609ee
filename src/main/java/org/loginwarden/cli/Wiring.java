package org.loginwarden.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.loginwarden.account.NssAccountDirectory;
import org.loginwarden.account.UsermodAccountLocker;
import org.loginwarden.app.AuthGuard;
import org.loginwarden.app.BackgroundEnding;
import org.loginwarden.app.DecisionLog;
import org.loginwarden.app.DetachedEnding;
import org.loginwarden.app.GroupResolver;
import org.loginwarden.app.ImmediateEnding;
import org.loginwarden.app.SessionEnding;
import org.loginwarden.app.Warden;
import org.loginwarden.audit.AuditLog;
import org.loginwarden.config.Config;
import org.loginwarden.config.ConfigException;
import org.loginwarden.config.ConfigParser;
import org.loginwarden.proc.ActivityProbe;
import org.loginwarden.proc.ProcessTable;
import org.loginwarden.proc.ProcfsProcessTable;
import org.loginwarden.proc.SessionTerminator;
import org.loginwarden.proc.Terminals;
import org.loginwarden.store.FileStateStore;
import org.loginwarden.store.StoreException;

/** Builds the concrete parts for one command run. The only place that names them all. */
final class Wiring {

  /** How long a refused client gets to read why before its connection is ended. */
  static final Duration REFUSED_DELAY = Duration.ofSeconds(1);

  private final Path configPath;
  private final Clock clock = Clock.systemUTC();
  private final ProcessTable processes = new ProcfsProcessTable(Path.of("/proc"));
  private Config config;
  private String host;
  private String hostId;

  Wiring(Path configPath) {
    this.configPath = configPath;
  }

  Config config() throws ConfigException {
    if (config == null) {
      config = configPath == null
          ? ConfigParser.load(Config.DEFAULT_PATH, true)
          : ConfigParser.load(configPath, false);
      Logging.toFile(config.logFile(), host());
    }
    return config;
  }

  ProcessTable processes() {
    return processes;
  }

  SessionTerminator terminator() {
    return new SessionTerminator(processes);
  }

  /** The warden for the PAM hook: session ending is handed to a detached process. */
  Warden hookWarden() throws ConfigException, StoreException {
    Config c = config();
    return warden(true, new DetachedEnding(terminator(), c.killGrace(),
        Wiring::logError), true);
  }

  /** The warden for admin commands: sessions are ended before the command returns. */
  Warden adminWarden(boolean writer) throws ConfigException, StoreException {
    return warden(writer, new ImmediateEnding(terminator(), config().killGrace(), REFUSED_DELAY),
        false);
  }

  /** The warden for {@code watch}: passes never wait for sessions to finish ending. */
  Warden watchWarden() throws ConfigException, StoreException {
    return warden(true, new BackgroundEnding(
        new ImmediateEnding(terminator(), config().killGrace(), REFUSED_DELAY)), false);
  }

  /** The failed-login checks of PAM's auth phase, on the hook's warden. */
  AuthGuard authGuard(Warden warden) throws ConfigException {
    return new AuthGuard(warden, config(), NssAccountDirectory.system(),
        delay -> Thread.sleep(delay.toMillis()), clock);
  }

  /** Fleet mode: the shared store for an admin command, each step within db_timeout. */
  org.loginwarden.store.FleetStore adminFleetStore() throws ConfigException {
    return fleetStore(config(), false);
  }

  private org.loginwarden.store.FleetStore fleetStore(Config c, boolean hook)
      throws ConfigException {
    return FleetWiring.store(c, hostId(c), hook);
  }

  /** Fleet mode: this host's id, read once per run. */
  private String hostId(Config c) throws ConfigException {
    if (hostId == null) {
      hostId = c.fleet().resolveHostId(org.loginwarden.config.Fleet.MACHINE_ID, c.onError());
    }
    return hostId;
  }

  AuditLog auditLog() throws ConfigException {
    Config c = config();
    return new AuditLog(c.auditLog(), host(), c.fleet() == null ? null : hostId(c), clock);
  }

  private Warden warden(boolean writer, SessionEnding ending, boolean hook)
      throws ConfigException, StoreException {
    Config c = config();
    AuditLog audit = auditLog();
    FileStateStore store = FileStateStore.open(c.stateDir(), c.runDir(), c.lockTimeout(), writer,
        clock, line -> {
          try {
            audit.write(new org.loginwarden.core.AuditRecord("error", "-", null, line,
                org.loginwarden.core.AuditRecord.BY_LOGINWARDEN, false));
          } catch (IOException e) {
            // The caller reports the store failure itself.
          }
        });
    Terminals terminals = new Terminals();
    // Fleet mode: the shared store decides; this host's file store keeps what only it knows.
    org.loginwarden.store.StateStore decidingStore = c.fleet() == null ? store
        : fleetStore(c, hook);
    return new Warden(c, decidingStore, terminator(), UsermodAccountLocker.system(), audit,
        GroupResolver.idCommand(), ending, new ActivityProbe(processes, terminals), terminals,
        clock, c.notifies() ? notifier(c, hook) : null, hook
            ? new LogFileLines(c.logFile(), new SyslogLineLayout(host(),
                ProcfsProcessTable.pidOfSelf()), clock)
            : DecisionLog.SLF4J, c.fleet() == null ? null : store);
  }

  /** Only built when notifications are configured: the hook loads none of it otherwise. */
  private org.loginwarden.app.Notifier notifier(Config c, boolean hook) {
    return org.loginwarden.notify.DetachedNotifier.of(c, configPath, host(), clock, hook,
        Wiring::logError);
  }

  /** A failure of detached work (session ending, notification), for the log. */
  private static void logError(String line) {
    org.slf4j.LoggerFactory.getLogger(Wiring.class).error("{}", line);
  }

  /** The host name every log and audit line carries, read once per run. */
  private String host() {
    if (host == null) {
      host = readHostName();
    }
    return host;
  }

  private static String readHostName() {
    try {
      return Files.readString(Path.of("/proc/sys/kernel/hostname"), StandardCharsets.US_ASCII)
          .strip();
    } catch (IOException e) {
      return "localhost";
    }
  }
}
