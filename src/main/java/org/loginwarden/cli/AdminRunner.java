package org.loginwarden.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.loginwarden.app.Warden;
import org.loginwarden.config.ConfigException;
import org.loginwarden.core.Durations;
import org.loginwarden.install.Installer;
import org.loginwarden.store.StoreException;
import org.loginwarden.store.UserNames;

/** The admin commands: check the name, run the use case, print one line or the status. */
final class AdminRunner {

  private final Wiring wiring;
  private final Main.Io io;

  AdminRunner(Wiring wiring, Main.Io io) {
    this.wiring = wiring;
    this.io = io;
  }

  ExitCode kick(String user) {
    if (user.equals("root")) {
      throw new Failure(ExitCode.USAGE, "cannot kick root: loginwarden never ends root's sessions");
    }
    return act("kick " + user, user, w -> w.kick(user, admin()));
  }

  ExitCode lock(String user) {
    if (user.equals("root")) {
      throw new Failure(ExitCode.USAGE, "cannot lock root: loginwarden never locks out root");
    }
    return act("lock " + user, user, w -> w.lock(user, admin()));
  }

  ExitCode unlock(String user) {
    return act("unlock " + user, user, w -> w.unlock(user, admin()));
  }

  ExitCode status(String user, boolean json, boolean noLegend) {
    if (user != null) {
      checkName(user);
    }
    try {
      // As root, a first status on a fresh machine creates the empty store.
      Warden w = wiring.adminWarden(true);
      List<Warden.UserStatus> rows = new ArrayList<>();
      ExitCode code = ExitCode.OK;
      for (String u : user != null ? List.of(user) : w.users()) {
        try {
          rows.add(w.status(u));
        } catch (StoreException e) {
          if (user != null) {
            throw e;
          }
          // One unreadable user hides no one else: a line for it, exit 4 at the end.
          io.err().println("loginwarden: cannot read state: " + e.getMessage());
          code = ExitCode.STATE;
        }
      }
      StatusView view = new StatusView(java.time.Instant.now(), rows);
      io.out().print(json ? view.json() : view.table(!noLegend));
      io.out().flush();
      return code;
    } catch (ConfigException e) {
      throw new Failure(ExitCode.CONFIG, "cannot read configuration: " + e.getMessage());
    } catch (StoreException e) {
      throw new Failure(ExitCode.STATE, "cannot read state: " + e.getMessage());
    }
  }

  /**
   * One sweep, or with {@code forever} one every sweep_interval until the process is stopped
   * (SIGTERM ends it between or during passes: every write is atomic, and a session decided
   * to end is finished by the next pass). A failing pass is reported and the next one runs.
   */
  ExitCode sweep(boolean forever) {
    try {
      Warden w = forever ? wiring.watchWarden() : wiring.adminWarden(true);
      java.time.Duration interval = wiring.config().sweepInterval();
      org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(AdminRunner.class);
      if (forever) {
        log.info("watch started: sweeping every {}", Durations.format(interval));
      }
      do {
        long started = System.nanoTime();
        try {
          if (forever) {
            w.heartbeat();
            w.carryOutKicks();
            int reconciled = w.reconcileOutage();
            if (reconciled > 0) {
              log.info("reconciled {} session(s) let in while the fleet database was away",
                  reconciled);
            }
            sendPendingAudit(w, log);
          }
          Warden.SweepResult r = w.sweep();
          if (!forever || r.ended() > 0 || r.failed() > 0) {
            log.info("sweep: {} user(s), {} session(s), {} ended, {} failed", r.users(),
                r.sessions(), r.ended(), r.failed());
          }
          if (!forever && r.failed() > 0) {
            return ExitCode.STATE;
          }
        } catch (StoreException e) {
          if (!forever) {
            throw e;
          }
          log.error("sweep failed: {}", e.getMessage());
        }
        if (forever) {
          awaitNextPass(w, started + interval.toNanos(), log);
        }
      } while (forever);
      return ExitCode.OK;
    } catch (ConfigException e) {
      throw new Failure(ExitCode.CONFIG, "cannot read configuration: " + e.getMessage());
    } catch (StoreException e) {
      throw new Failure(ExitCode.STATE, "cannot sweep: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return ExitCode.OK;
    }
  }

  /** Not part of a pass's fate: a kept line that cannot be sent must not stop the sweeps. */
  private static void sendPendingAudit(Warden w, org.slf4j.Logger log) {
    try {
      int sent = w.sendPendingAudit();
      if (sent > 0) {
        log.info("sent {} audit line(s) kept while the fleet database was away", sent);
      }
    } catch (StoreException e) {
      log.error("{}", e.getMessage());
    }
  }

  /**
   * Sleeps until the next pass is due. In fleet mode it listens meanwhile: a kick from another
   * host is carried out, and a lock or unlock mirrored, as soon as it is told, not a pass later.
   */
  private static void awaitNextPass(Warden w, long dueNanos, org.slf4j.Logger log)
      throws InterruptedException {
    long left;
    while ((left = dueNanos - System.nanoTime()) > 0) {
      try {
        if (!w.awaitNews(java.time.Duration.ofNanos(left))) {
          break;
        }
        w.carryOutKicks();
        w.mirrorLocks();
      } catch (StoreException e) {
        log.error("cannot hear from the fleet: {}", e.getMessage());
        break;
      }
    }
    left = dueNanos - System.nanoTime();
    if (left > 0) {
      Thread.sleep(left / 1_000_000);
    }
  }

  ExitCode install(Path root, boolean wiringOnly, boolean reloadSshd) {
    if (reloadSshd && !root.toAbsolutePath().normalize().equals(Path.of("/"))) {
      throw new Failure(ExitCode.USAGE, "cannot reload sshd for --root " + root
          + ": only the running system's");
    }
    Path jar = Path.of(System.getProperty("java.class.path"));
    if (!wiringOnly && (!Files.isRegularFile(jar) || !jar.toString().endsWith(".jar"))) {
      throw new Failure(ExitCode.USAGE, "cannot install: run me as java -jar loginwarden.jar");
    }
    try {
      Installer installer = new Installer(root);
      installer.install(jar.toAbsolutePath(), wiringOnly).forEach(io.out()::println);
      if (reloadSshd) {
        installer.reloadSshd().forEach(io.out()::println);
      }
      return ExitCode.OK;
    } catch (IllegalStateException e) {
      throw new Failure(ExitCode.USAGE, "cannot install: " + e.getMessage());
    } catch (java.io.IOException e) {
      throw new Failure(ExitCode.SOFTWARE, "cannot install: " + e.getMessage());
    }
  }

  ExitCode uninstall(Path root, boolean wiringOnly, boolean purge) {
    try {
      new Installer(root).uninstall(wiringOnly, purge).forEach(io.out()::println);
      return ExitCode.OK;
    } catch (IllegalStateException e) {
      throw new Failure(ExitCode.USAGE, "cannot uninstall: " + e.getMessage());
    } catch (java.io.IOException e) {
      throw new Failure(ExitCode.SOFTWARE, "cannot uninstall: " + e.getMessage());
    }
  }

  private interface UseCase {
    String run(Warden w) throws StoreException;
  }

  private ExitCode act(String what, String user, UseCase useCase) {
    checkName(user);
    try {
      io.out().println(useCase.run(wiring.adminWarden(true)));
      return ExitCode.OK;
    } catch (ConfigException e) {
      throw new Failure(ExitCode.CONFIG, "cannot read configuration: " + e.getMessage());
    } catch (StoreException e) {
      throw new Failure(ExitCode.STATE, "cannot " + what + ": " + e.getMessage());
    }
  }

  private static void checkName(String user) {
    String problem = UserNames.problem(user);
    if (problem != null) {
      throw new Failure(ExitCode.USAGE, "cannot use '" + printable(user) + "': " + problem);
    }
  }

  private static String printable(String s) {
    StringBuilder b = new StringBuilder();
    s.codePoints().limit(64).forEach(c -> {
      if (c < 0x20 || c == 0x7f) {
        b.append(String.format("\\x%02x", c));
      } else {
        b.appendCodePoint(c);
      }
    });
    return b.toString();
  }

  /**
   * Who ran the command, for the audit trail: root, and the login it came from through sudo
   * or su (the audit login uid, which a user cannot change).
   */
  private static String admin() {
    String me = System.getProperty("user.name", "root");
    try {
      long loginUid = Long.parseLong(Files.readString(Path.of("/proc/self/loginuid")).strip());
      if (loginUid != 4294967295L && loginUid != 0) {
        return me + " (login uid " + loginUid + ")";
      }
    } catch (java.io.IOException | NumberFormatException e) {
      // No audit login uid: root is all we know.
    }
    return me;
  }
}
