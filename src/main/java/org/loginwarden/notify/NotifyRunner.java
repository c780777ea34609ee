package org.loginwarden.notify;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.loginwarden.core.Durations;

/**
 * Delivers notices, in the detached {@code notify} process: runs {@code notify_command} with
 * the notice in its environment and as JSON on stdin, and mails it through sendmail. Each
 * program runs by absolute path, never through a shell, with a cleared environment and the
 * time limit, after which it and everything it started are killed. Returns each failure as
 * one line; the caller audits and logs it.
 */
public final class NotifyRunner {

  static final Path SENDMAIL = Path.of("/usr/sbin/sendmail");
  private static final String PATH = "/usr/sbin:/usr/bin:/sbin:/bin";
  /** Enough of the notifier's output to say why it failed. */
  private static final int KEEP_OUTPUT = 2048;

  /**
   * What to deliver with, as the hook read it from the config; handed to the detached process
   * on its command line, so that it delivers what the hook decided even if the file changes.
   *
   * @param command the notifier, or null
   * @param mailTo  recipients, or empty for no mail
   */
  public record Settings(Path command, List<String> mailTo, Duration timeout) {
    public Settings {
      mailTo = List.copyOf(mailTo);
    }

    /** The options of the hidden {@code notify} command. */
    public List<String> arguments() {
      List<String> a = new java.util.ArrayList<>(List.of("--timeout", Durations.format(timeout)));
      if (command != null) {
        a.addAll(List.of("--command", command.toString()));
      }
      for (String m : mailTo) {
        a.addAll(List.of("--mail", m));
      }
      return a;
    }
  }

  private final Path command;
  private final List<String> mailTo;
  private final Duration timeout;
  private final Path sendmail;

  public NotifyRunner(Settings s) {
    this(s.command(), s.mailTo(), s.timeout(), SENDMAIL);
  }

  NotifyRunner(Path command, List<String> mailTo, Duration timeout, Path sendmail) {
    this.command = command;
    this.mailTo = List.copyOf(mailTo);
    this.timeout = timeout;
    this.sendmail = sendmail;
  }

  /** Delivers one notice every configured way; returns the failures, or an empty list. */
  public List<String> deliver(Notice n) {
    List<String> failures = new java.util.ArrayList<>();
    if (command != null) {
      String f = run(List.of(command.toString()), n.environment(), n.json() + "\n");
      if (f != null) {
        failures.add("notify_command " + command + " " + f);
      }
    }
    if (!mailTo.isEmpty()) {
      String f = run(List.of(sendmail.toString(), "-t", "-oi"), Map.of(), n.mail(mailTo));
      if (f != null) {
        failures.add("mail to " + String.join(", ", mailTo) + ": " + sendmail + " " + f);
      }
    }
    return failures;
  }

  /** Runs one program to its end or the time limit; null when it succeeded, else why not. */
  String run(List<String> argv, Map<String, String> env, String stdin) {
    ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true)
        .directory(new File("/"));
    pb.environment().clear();
    pb.environment().put("PATH", PATH);
    pb.environment().putAll(env);
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      return "cannot run: " + e.getMessage();
    }
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    Thread drain = drain(p.getInputStream(), output);
    try (OutputStream in = p.getOutputStream()) {
      in.write(stdin.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      // It did not read its stdin (closed it, or exited): its exit status tells.
    }
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        // A script's children first: killed after it, they would be reparented and live on.
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
        return "timed out after " + Durations.format(timeout) + " and was killed";
      }
      drain.join(500);
    } catch (InterruptedException e) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      return "interrupted";
    }
    if (p.exitValue() != 0) {
      String said;
      synchronized (output) {
        said = new String(output.toByteArray(), StandardCharsets.UTF_8).strip()
            .lines().findFirst().orElse("");
      }
      return "exited " + p.exitValue() + (said.isEmpty() ? "" : ": " + said);
    }
    return null;
  }

  /** Reads the program's output to its end, keeping the first bytes. */
  private static Thread drain(InputStream in, ByteArrayOutputStream keep) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[4096];
      try (in) {
        for (int r; (r = in.read(buf)) >= 0; ) {
          synchronized (keep) {
            int room = KEEP_OUTPUT - keep.size();
            if (room > 0) {
              keep.write(buf, 0, Math.min(room, r));
            }
          }
        }
      } catch (IOException e) {
        // The program is gone or was killed: what was read is enough.
      }
    }, "notify-output");
    t.setDaemon(true);
    t.start();
    return t;
  }
}
