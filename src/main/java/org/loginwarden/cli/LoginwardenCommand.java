package org.loginwarden.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.loginwarden.app.DetachedEnding;
import org.loginwarden.app.ImmediateEnding;
import org.loginwarden.core.Durations;
import org.loginwarden.core.Session;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** The command-line surface. Classes here parse and delegate; the work is elsewhere. */
@Command(name = "loginwarden", mixinStandardHelpOptions = true,
    versionProvider = LoginwardenCommand.Version.class,
    description = "One SSH login per user: counts every kind of session, ends both on a second"
        + " login, locks after repeated violations.",
    exitCodeListHeading = "%nExit codes:%n")
final class LoginwardenCommand {

  /**
   * The subcommands, in the order help lists them. Main registers only the one a command line
   * names (all of them for help or an unknown name): picocli reads each registered class's
   * annotations by reflection, and the PAM hook, run on every login, needs one.
   */
  static final List<Class<?>> SUBCOMMANDS = List.of(Pam.class, Status.class, Lock.class,
      Unlock.class, Kick.class, Sweep.class, Watch.class, Install.class, Uninstall.class,
      Doctor.class, Audit.class, Db.class, Demo.class, EndSessions.class, Notify.class);

  static final String CONFIG = "--config";

  @Option(names = CONFIG, paramLabel = "FILE",
      description = "Configuration file (default: /etc/security/loginwarden.conf; missing "
          + "means built-in defaults).")
  Path config;

  final Main.Io io;
  private Wiring wiring;

  LoginwardenCommand(Main.Io io) {
    this.io = io;
  }

  Wiring wiring() {
    if (wiring == null) {
      wiring = new Wiring(config);
    }
    return wiring;
  }

  static final class Version implements picocli.CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = LoginwardenCommand.class.getPackage().getImplementationVersion();
      return new String[] {"loginwarden " + (v == null ? "(development build)" : v)};
    }
  }

  @Command(name = Pam.NAME, mixinStandardHelpOptions = true,
      description = "The pam_exec entry point: reads PAM_TYPE, PAM_USER, PAM_SERVICE, PAM_RHOST,"
          + " PAM_TTY, SSH_CONNECTION and SSH_AUTH_INFO_0. Exit 0 lets PAM go on.")
  static final class Pam implements Callable<Integer> {
    static final String NAME = "pam";
    static final String AUTH_SUCCEEDED = "--auth-succeeded";

    @ParentCommand LoginwardenCommand top;

    @Option(names = AUTH_SUCCEEDED, description = "On the auth line after @include "
        + "common-auth, which runs only after an accepted password: clear the failed-login "
        + "count.")
    boolean authSucceeded;

    @Override
    public Integer call() {
      return run(top.wiring(), top.io, authSucceeded);
    }

    /** Also called by Main directly for the hook's own argument vectors. */
    static int run(Wiring wiring, Main.Io io, boolean authSucceeded) {
      Main.requireRoot("run pam");
      return new PamRunner(wiring, io.out(), io.err(), authSucceeded).run().code;
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "Live sessions, recent violations and locks, per user.")
  static final class Status implements Callable<Integer> {
    @ParentCommand LoginwardenCommand top;

    @Parameters(arity = "0..1", paramLabel = "USER", description = "Only this user.")
    String user;

    @Option(names = "--json", description = "JSON for scripts (no legend).")
    boolean json;

    @Option(names = "--no-legend", description = "No header and no footer.")
    boolean noLegend;

    @Override
    public Integer call() throws Exception {
      Main.requireRoot("read status");
      return new AdminRunner(top.wiring(), top.io).status(user, json, noLegend).code;
    }
  }

  @Command(name = "lock", mixinStandardHelpOptions = true,
      description = "Lock an account until unlocked (same mechanism as a violation lock). "
          + "Does not end live sessions: use kick.")
  static final class Lock implements Callable<Integer> {
    @ParentCommand LoginwardenCommand top;

    @Parameters(paramLabel = "USER") String user;

    @Override
    public Integer call() throws Exception {
      Main.requireRoot("lock " + user);
      return new AdminRunner(top.wiring(), top.io).lock(user).code;
    }
  }

  @Command(name = "unlock", mixinStandardHelpOptions = true,
      description = "Lift a lock: restore the account exactly as it was and clear violations.")
  static final class Unlock implements Callable<Integer> {
    @ParentCommand LoginwardenCommand top;

    @Parameters(paramLabel = "USER") String user;

    @Override
    public Integer call() throws Exception {
      Main.requireRoot("unlock " + user);
      return new AdminRunner(top.wiring(), top.io).unlock(user).code;
    }
  }

  @Command(name = "kick", mixinStandardHelpOptions = true,
      description = "End all of a user's sessions now, whole process trees included.")
  static final class Kick implements Callable<Integer> {
    @ParentCommand LoginwardenCommand top;

    @Parameters(paramLabel = "USER") String user;

    @Override
    public Integer call() throws Exception {
      Main.requireRoot("kick " + user);
      return new AdminRunner(top.wiring(), top.io).kick(user).code;
    }
  }

  @Command(name = "sweep", mixinStandardHelpOptions = true,
      description = "One pass: end sessions past max_session_time or idle_timeout, warn those "
          + "near it, lift expired locks, drop dead sessions. For cron or a systemd timer.")
  static final class Sweep implements Callable<Integer> {
    @ParentCommand LoginwardenCommand top;

    @Override
    public Integer call() {
      Main.requireRoot("sweep");
      return new AdminRunner(top.wiring(), top.io).sweep(false).code;
    }
  }

  @Command(name = "watch", mixinStandardHelpOptions = true,
      description = "Sweep every sweep_interval until stopped: the enforcer for systemd "
          + "(loginwarden.service).")
  static final class Watch implements Callable<Integer> {
    @ParentCommand LoginwardenCommand top;

    @Override
    public Integer call() {
      Main.requireRoot("watch");
      return new AdminRunner(top.wiring(), top.io).sweep(true).code;
    }
  }

  @Command(name = "install", mixinStandardHelpOptions = true,
      description = "Install this jar, the /usr/sbin/loginwarden launcher, a commented default "
          + "config (an existing one is kept), the systemd units, tmpfiles.d and logrotate "
          + "entries, man pages and bash completion; add the account and session lines to "
          + "/etc/pam.d/sshd (backup kept) and MaxSessions 1 as a drop-in in "
          + "/etc/ssh/sshd_config.d. Idempotent. sshd is reloaded only with --reload-sshd.")
  static final class Install implements Callable<Integer> {
    @ParentCommand LoginwardenCommand top;

    @Option(names = "--root", paramLabel = "DIR", defaultValue = "/",
        description = "Install under DIR instead of / (for tests and packagers).")
    Path root;

    @Option(names = "--wiring-only", description = "Only the PAM lines, the sshd drop-in and "
        + "the state directories, not the files (the Debian package's postinst).")
    boolean wiringOnly;

    @Option(names = "--reload-sshd", description = "Then check sshd's configuration (sshd -t) "
        + "and reload it (systemctl reload ssh).")
    boolean reloadSshd;

    @Override
    public Integer call() {
      Main.requireRoot("install");
      return new AdminRunner(top.wiring(), top.io).install(root, wiringOnly, reloadSshd).code;
    }
  }

  @Command(name = "uninstall", mixinStandardHelpOptions = true,
      description = "Remove exactly what install added and restore /etc/pam.d/sshd byte for "
          + "byte. The config goes only if unchanged from the default; state and audit log "
          + "are kept. sshd is not reloaded.")
  static final class Uninstall implements Callable<Integer> {
    @ParentCommand LoginwardenCommand top;

    @Option(names = "--root", paramLabel = "DIR", defaultValue = "/",
        description = "Uninstall under DIR instead of /.")
    Path root;

    @Option(names = "--wiring-only", description = "Only the PAM lines and the sshd drop-in "
        + "(the Debian package's prerm).")
    boolean wiringOnly;

    @Option(names = "--purge", description = "Also remove the config, even if edited, and "
        + "the state, run and log directories with the audit trail.")
    boolean purge;

    @Override
    public Integer call() {
      Main.requireRoot("uninstall");
      return new AdminRunner(top.wiring(), top.io).uninstall(root, wiringOnly, purge).code;
    }
  }

  @Command(name = "doctor", mixinStandardHelpOptions = true,
      description = "Check the live wiring, one line per check (ok, warn or fail, and the "
          + "fix): sshd's UsePAM and MaxSessions, the PAM lines and their order, audit "
          + "session ids, the state directories, the config, Java, the watcher, locks against "
          + "/etc/shadow. Exit 0 when no check fails, 8 otherwise.")
  static final class Doctor implements Callable<Integer> {
    @ParentCommand LoginwardenCommand top;

    @Option(names = "--root", paramLabel = "DIR", defaultValue = "/",
        description = "Check the tree under DIR instead of / (its etc, proc, usr, var).")
    Path root;

    @Option(names = "--json", description = "One JSON object per check, for monitoring.")
    boolean json;

    @Override
    public Integer call() {
      Main.requireRoot("run doctor");
      return new DoctorRunner(top.config, top.io).run(root, json).code;
    }
  }

  @Command(name = "db", mixinStandardHelpOptions = true,
      description = "The fleet database (store = postgresql): init creates or upgrades its "
          + "schema (idempotent, safe from several hosts at once); status shows the schema "
          + "version, the hosts' last heartbeats and row counts.")
  static final class Db implements Callable<Integer> {
    enum Action { init, status }

    @ParentCommand LoginwardenCommand top;

    @Parameters(paramLabel = "ACTION", description = "init or status.")
    Action action;

    @Override
    public Integer call() {
      Main.requireRoot("run db " + action);
      DbRunner runner = new DbRunner(top.wiring(), top.io);
      return (action == Action.init ? runner.init() : runner.status()).code;
    }
  }

  /** Started by the PAM hook to finish ending sessions after the hook has answered. */
  @Command(name = "end-sessions", hidden = true,
      description = "Internal: SIGKILL after the grace period, then end a refused connection.")
  static final class EndSessions implements Callable<Integer> {
    @Option(names = "--grace", required = true) String grace;
    @Option(names = "--session") List<String> sessions = new ArrayList<>();
    @Option(names = "--refused") String refused;

    @Override
    public Integer call() {
      Main.requireRoot("end sessions");
      List<Session> targets = new ArrayList<>();
      for (String s : sessions) {
        targets.add(DetachedEnding.Target.parse(s));
      }
      Duration g = Durations.parse(grace);
      new ImmediateEnding(new Wiring(null).terminator(), g, Wiring.REFUSED_DELAY)
          .end(targets, refused == null ? null : DetachedEnding.Target.parse(refused));
      return ExitCode.OK.code;
    }
  }

  /** Started by the hook and the admin commands to deliver notifications, detached. */
  @Command(name = "notify", hidden = true,
      description = "Internal: deliver the notices on stdin (notify_command, notify_mail).")
  static final class Notify implements Callable<Integer> {
    @ParentCommand LoginwardenCommand top;
    @Option(names = "--timeout", required = true) String timeout;
    @Option(names = "--command") Path command;
    @Option(names = "--mail") List<String> mail = new ArrayList<>();

    @Override
    public Integer call() {
      Main.requireRoot("notify");
      return new NoticeRunner(top.wiring()).run(new org.loginwarden.notify.NotifyRunner.Settings(
          command, mail, Durations.parse(timeout)), System.in).code;
    }
  }

  @Command(name = "audit", mixinStandardHelpOptions = true,
      description = "The audit trail, rotated files included, oldest first: who logged in from "
          + "where with which key, which sessions were ended and why, who was locked and "
          + "unlocked by whom. In fleet mode, every host's, from the database.")
  static final class Audit implements Callable<Integer> {
    @ParentCommand LoginwardenCommand top;

    @Option(names = "--user", paramLabel = "USER", description = "Only this user.")
    String user;

    @Option(names = "--since", paramLabel = "TIME", description = "From this time on: "
        + "2026-11-22, 2026-11-22T10:00 (UTC unless an offset is given), or 2h, 7d ago.")
    String since;

    @Option(names = "--until", paramLabel = "TIME", description = "Before this time (same "
        + "forms).")
    String until;

    @Option(names = "--event", paramLabel = "EVENT", description = "Only these events "
        + "(repeat, or separate with commas): open, close, refuse, violation, kick, lock, "
        + "unlock, error, warn, expired, idle, auth_attempt, auth_success, console, "
        + "notify_failed.")
    List<String> events = new ArrayList<>();

    @Option(names = "--json", description = "One JSON object per line, as logged, with "
        + "authKeyFingerprint added (no legend).")
    boolean json;

    @Option(names = "--no-legend", description = "No header and no footer.")
    boolean noLegend;

    @Option(names = "--local", description = "Fleet mode: this host's audit log, not the "
        + "fleet's trail in the database (for when the database cannot be reached).")
    boolean local;

    @Override
    public Integer call() {
      Main.requireRoot("read the audit log");
      return new AuditRunner(top.wiring(), top.io).run(user, since, until, events, json,
          noLegend, local).code;
    }
  }

  @Command(name = "demo", mixinStandardHelpOptions = true,
      description = "See loginwarden work before wiring it into the host's sshd: a private sshd"
          + " on 127.0.0.1 with its own PAM service, a throwaway user, a login, a second login"
          + " that ends both, violations up to the lock, a key login refused, unlock. Removes "
          + "all it made, also on Ctrl-C. Needs root and openssh-server; touches neither the "
          + "host's sshd nor /etc/pam.d/sshd.")
  static final class Demo implements Callable<Integer> {
    @ParentCommand LoginwardenCommand top;

    @Override
    public Integer call() {
      Main.requireRoot("run the demo");
      String missing = org.loginwarden.demo.Demo.missing();
      if (missing != null) {
        throw new Failure(ExitCode.SOFTWARE, "cannot run the demo: " + missing);
      }
      List<String> self = org.loginwarden.app.ChildJvm.command(null, List.of());
      try {
        new org.loginwarden.demo.Demo(top.io.out(), self).run();
        return ExitCode.OK.code;
      } catch (java.io.IOException e) {
        throw new Failure(ExitCode.SOFTWARE, "cannot run the demo: " + e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new Failure(ExitCode.SOFTWARE, "cannot run the demo: interrupted");
      }
    }
  }
}
