package org.loginwarden.notify;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.loginwarden.app.ChildJvm;
import org.loginwarden.app.Notifier;
import org.loginwarden.core.AuditRecord;

/**
 * Hands the chosen events to a detached {@code loginwarden notify} process, which runs the
 * notifier and sendmail with their time limit and audits their failures. The caller (a PAM
 * hook on the login's path) only starts that process and writes a few KiB into its stdin
 * pipe, which never blocks: a slow or failing notifier cannot delay or refuse a login.
 */
public final class DetachedNotifier implements Notifier {

  private static final Path SETSID = Path.of("/usr/bin/setsid");
  /** Writing "unset" to this drops the thread's audit login uid and audit session id. */
  private static final Path LOGINUID = Path.of("/proc/thread-self/loginuid");

  private final Set<String> chosen;
  private final NotifyRunner.Settings settings;
  private final Path configPath;
  private final String host;
  private final Clock clock;
  private final boolean inLogin;
  private final Consumer<String> failure;

  /**
   * @param chosen     the {@code notify_on} events
   * @param settings   how to deliver them, passed on: the child never reads them from a file
   *                   that may have changed since
   * @param configPath the configuration file the child reads the audit log and log file
   *                   from, or null for the default
   * @param inLogin    called by a PAM hook, inside the login's audit session
   */
  public DetachedNotifier(Set<String> chosen, NotifyRunner.Settings settings, Path configPath,
      String host, Clock clock, boolean inLogin, Consumer<String> failure) {
    this.settings = settings;
    this.inLogin = inLogin;
    this.chosen = chosen;
    this.configPath = configPath;
    this.host = host;
    this.clock = clock;
    this.failure = failure;
  }

  /**
   * The notifier for a configuration that has one. A factory rather than the constructor, so
   * that verifying the caller never loads a notification class where none is configured.
   */
  public static Notifier of(org.loginwarden.config.Config c, Path configPath, String host,
      Clock clock, boolean inLogin, Consumer<String> failure) {
    return new DetachedNotifier(c.notifyOn(), new NotifyRunner.Settings(c.notifyCommand(),
        c.notifyMail(), c.notifyTimeout()), configPath, host, clock, inLogin, failure);
  }

  @Override
  public void notify(List<AuditRecord> records) {
    List<Notice> notices = select(records, chosen, host, clock.instant());
    if (notices.isEmpty()) {
      return;
    }
    StringBuilder input = new StringBuilder();
    for (Notice n : notices) {
      input.append(n.json()).append('\n');
    }
    if (inLogin) {
      leaveAuditSession();
    }
    ProcessBuilder pb = new ProcessBuilder(command())
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .directory(new File("/"));
    pb.environment().clear();
    try {
      Process p = pb.start();
      // A few notices of at most ~8 KiB each fit the pipe's 64 KiB: this write never waits.
      try (OutputStream in = p.getOutputStream()) {
        in.write(input.toString().getBytes(StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      failure.accept("cannot start notify: " + e.getMessage());
    }
  }

  /** The notices for the records whose event is chosen, in order. */
  static List<Notice> select(List<AuditRecord> records, Set<String> chosen, String host,
      java.time.Instant now) {
    List<Notice> out = new ArrayList<>();
    for (AuditRecord r : records) {
      Notice n = Notice.of(r, host, now);
      if (n != null && chosen.contains(n.event())) {
        out.add(n);
      }
    }
    return out;
  }

  List<String> command() {
    List<String> c = new ArrayList<>();
    // Its own Unix session: never part of the login's process tree or session, which
    // ending the login signals where audit session ids are off.
    if (Files.isExecutable(SETSID)) {
      c.add(SETSID.toString());
    }
    List<String> args = new ArrayList<>();
    if (configPath != null) {
      args.addAll(List.of("--config", configPath.toAbsolutePath().toString()));
    }
    args.add("notify");
    args.addAll(settings.arguments());
    c.addAll(ChildJvm.command("-Xmx64m", args));
    return c;
  }

  /**
   * The hook runs inside the login's audit session, and a child would inherit it: ending
   * that login (a kick, or the refused login itself) signals every process with its id, the
   * notifier of the kick among them. Root may unset its own thread's login uid, which gives
   * the thread, and so the child forked from it, no audit session. Best effort: where the
   * kernel forbids it (loginuid immutable), the notifier stays in the session.
   */
  private static void leaveAuditSession() {
    try {
      Files.writeString(LOGINUID, "4294967295");
    } catch (IOException | UnsupportedOperationException e) {
      // Not in a session, or not allowed: nothing to leave, or nothing we can do.
    }
  }
}
