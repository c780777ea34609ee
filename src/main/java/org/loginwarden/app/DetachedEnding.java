package org.loginwarden.app;

import java.io.File;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.loginwarden.core.Durations;
import org.loginwarden.core.Session;
import org.loginwarden.proc.SessionTerminator;

/**
 * For the PAM hook: sends SIGTERM at once, then hands the rest (SIGKILL after the grace
 * period, processes forked meanwhile, the refused connection after its message is out) to a
 * detached {@code loginwarden end-sessions} process, so the login's answer is not held up by
 * a grace period and the refusal text reaches the client before its connection ends.
 */
public final class DetachedEnding implements SessionEnding {

  private final SessionTerminator terminator;
  private final Duration grace;
  private final Consumer<String> failure;

  public DetachedEnding(SessionTerminator terminator, Duration grace, Consumer<String> failure) {
    this.terminator = terminator;
    this.grace = grace;
    this.failure = failure;
  }

  @Override
  public void end(List<Session> sessions, Session refused) {
    terminator.signalAll(sessions, false);
    List<String> command = finisherCommand(sessions, refused);
    ProcessBuilder pb = new ProcessBuilder(command)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .directory(new File("/"));
    pb.environment().clear();
    try {
      pb.start();
    } catch (IOException e) {
      // The TERM already sent ends well-behaved sessions; the failure is reported.
      failure.accept("cannot start end-sessions: " + e.getMessage());
    }
  }

  List<String> finisherCommand(List<Session> sessions, Session refused) {
    List<String> c = new ArrayList<>(ChildJvm.command("-Xmx32m",
        List.of("end-sessions", "--grace", Durations.format(grace))));
    for (Session s : sessions) {
      c.add("--session");
      c.add(Target.format(s));
    }
    if (refused != null) {
      c.add("--refused");
      c.add(Target.format(refused));
    }
    return c;
  }

  /** A session as the finisher needs it: {@code PID:START:AUDITSESSION}. */
  public static final class Target {
    private Target() {}

    static String format(Session s) {
      return s.pid() + ":" + s.startTime() + ":" + s.auditSession();
    }

    /** Parses {@link #format}; only identity fields are filled in. */
    public static Session parse(String text) {
      String[] f = text.split(":");
      if (f.length != 3) {
        throw new IllegalArgumentException("expected PID:START:AUDITSESSION, got " + text);
      }
      return new Session(Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]),
          "-", null, 0, null, null, null, java.time.Instant.EPOCH, null);
    }
  }
}
