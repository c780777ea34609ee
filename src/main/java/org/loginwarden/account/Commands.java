package org.loginwarden.account;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a system program the safe way for a root hook: by absolute path, never through a
 * shell, with a fixed minimal environment (pam_exec gives no PATH, and nothing from the
 * caller's environment may steer the child), stdin closed, and a time limit.
 */
public final class Commands {

  /** What a finished program returned. */
  public record Result(int exitCode, String stdout, String stderr) {
    public String firstErrorLine() {
      String text = stderr.isBlank() ? stdout : stderr;
      String line = text.strip().lines().findFirst().orElse("");
      return line.isEmpty() ? "exit status " + exitCode : line;
    }
  }

  private Commands() {}

  public static Result run(Duration timeout, Path program, String... args) throws IOException {
    if (!program.isAbsolute()) {
      throw new IllegalArgumentException("program path must be absolute: " + program);
    }
    List<String> command = new ArrayList<>();
    command.add(program.toString());
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command)
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().clear();
    pb.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
    pb.environment().put("LC_ALL", "C");
    pb.directory(new java.io.File("/"));
    Process p = pb.start();
    try {
      // usermod and id print a line or two, far below a pipe's 64 KiB: reading after exit
      // cannot deadlock.
      var out = p.getInputStream();
      var err = p.getErrorStream();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new IOException(program.getFileName() + " did not finish within "
            + timeout.toMillis() + " ms");
      }
      return new Result(p.exitValue(), drain(out), drain(err));
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for " + program.getFileName());
    }
  }

  private static String drain(InputStream in) throws IOException {
    byte[] bytes = in.readNBytes(64 * 1024);
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
