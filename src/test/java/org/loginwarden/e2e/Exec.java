package org.loginwarden.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Runs real programs for the end-to-end tests, every wait bounded. */
public final class Exec {

  public record Result(int exit, String out, String err) {
    public String all() {
      return out + err;
    }
  }

  private Exec() {}

  public static Result run(Duration limit, Map<String, String> env, List<String> command) {
    return run(limit, env, java.nio.file.Path.of("/dev/null"), command);
  }

  public static Result run(Duration limit, java.nio.file.Path stdin, List<String> command) {
    return run(limit, Map.of(), stdin, command);
  }

  public static Result run(Duration limit, Map<String, String> env, java.nio.file.Path stdin,
      List<String> command) {
    try {
      ProcessBuilder pb = new ProcessBuilder(command)
          .redirectInput(ProcessBuilder.Redirect.from(stdin.toFile()));
      pb.environment().putAll(env);
      Process p = pb.start();
      var out = new java.util.concurrent.CompletableFuture<String>();
      var err = new java.util.concurrent.CompletableFuture<String>();
      drain(p.getInputStream(), out);
      drain(p.getErrorStream(), err);
      if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        throw new AssertionError("did not finish within " + limit + ": " + command);
      }
      return new Result(p.exitValue(), out.get(5, TimeUnit.SECONDS), err.get(5, TimeUnit.SECONDS));
    } catch (IOException | InterruptedException | java.util.concurrent.ExecutionException
        | java.util.concurrent.TimeoutException e) {
      throw new AssertionError("cannot run " + command + ": " + e, e);
    }
  }

  public static Result run(String... command) {
    return run(Duration.ofSeconds(60), Map.of(), List.of(command));
  }

  /** Runs and insists on exit 0. */
  public static String ok(String... command) {
    Result r = run(command);
    if (r.exit() != 0) {
      throw new AssertionError(String.join(" ", command) + " exited " + r.exit() + ": " + r.all());
    }
    return r.out();
  }

  private static void drain(java.io.InputStream in, java.util.concurrent.CompletableFuture<String> into) {
    Thread t = new Thread(() -> {
      try {
        into.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      } catch (IOException e) {
        into.complete("");
      }
    });
    t.setDaemon(true);
    t.start();
  }

  /** Polls until {@code condition} holds; fails with {@code what} after {@code limit}. */
  public static void await(Duration limit, String what, BooleanSupplier condition) {
    long until = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - until >= 0) {
        throw new AssertionError("timed out after " + limit + " waiting for " + what);
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for " + what);
      }
    }
  }
}
