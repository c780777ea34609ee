package org.loginwarden.e2e;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.loginwarden.install.ScratchInstall;

/**
 * What loginwarden costs a login, every figure measured in one run on this machine (issue 6).
 * Not part of the test suite: {@code mvn -B verify -Pbench} as root, on a quiet machine. Prints
 * a table and writes {@code target/bench/login-latency.json} and {@code .txt}.
 *
 * <ol>
 *   <li>Whole-process wall time of the hook ({@code pam} account, open_session, close_session)
 *       through the launcher and its class-data archive, outside sshd, with the state holding
 *       10 and 100,000 users; in the same rounds, interleaved: an empty Java main on the same
 *       JVM and a /bin/sh hook doing a flock and one write. Per JDK found (17, 25).
 *   <li>Peak RSS and CPU time per call (the kernel's rusage, in separate rounds).
 *   <li>Through a real private sshd: login-to-command latency ({@code ssh -i key host true})
 *       with and without loginwarden's lines, interleaved; 50 concurrent logins of 50 users.
 *   <li>From a second login's start to the last process of both sessions being gone.
 * </ol>
 */
class LoginLatencyBench {

  static final int ROUNDS = Integer.getInteger("bench.rounds", 31);
  static final int USAGE_ROUNDS = Integer.getInteger("bench.usageRounds", 11);
  static final int SSH_ROUNDS = Integer.getInteger("bench.sshRounds", 30);
  static final int BIG = Integer.getInteger("bench.users", 100_000);
  static final Path SHM = Path.of("/dev/shm");
  static final Path RUSAGE = Path.of("src/test/resources/bench/rusage.py").toAbsolutePath();

  @TempDir Path dir;
  final Map<Integer, Path> populations = new LinkedHashMap<>();
  final List<Path> tmpfsDirs = new ArrayList<>();
  final Map<String, Object> json = new LinkedHashMap<>();
  final StringBuilder table = new StringBuilder();

  @AfterEach
  void removeTmpfsDirs() {
    for (Path run : tmpfsDirs) {
      Exec.run("/bin/rm", "-rf", "--one-file-system", run.toString());
    }
  }

  @Test
  void loginLatency() throws Exception {
    PrivateSshd.assumeAvailable();
    json.put("when", Instant.now().toString());
    json.put("cpus", Runtime.getRuntime().availableProcessors());
    line("loginwarden login latency, %s, %d CPUs", json.get("when"), json.get("cpus"));

    Map<String, Object> hooks = new LinkedHashMap<>();
    ScratchInstall jdk17 = null;
    for (Path java : jdks()) {
      ScratchInstall install = ScratchInstall.create(dir.resolve("jdk" + hooks.size()), java);
      jdk17 = jdk17 == null ? install : jdk17;
      hooks.put(version(java), hookCalls(install));
    }
    json.put("hook", hooks);
    json.put("sshd", throughSshd(jdk17));

    write("login-latency", json, table);
  }

  /** A benchmark's results: target/bench/NAME.json and NAME.txt, and the table on stdout. */
  static void write(String name, Object json, CharSequence table) throws IOException {
    Path out = Path.of("target/bench");
    Files.createDirectories(out);
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
        .writeValue(out.resolve(name + ".json").toFile(), json);
    Files.writeString(out.resolve(name + ".txt"), table, StandardCharsets.UTF_8);
    System.out.print(table);
  }

  /** JDK 17 (the target, /usr/bin/java) first, then any other JDK on the machine. */
  static List<Path> jdks() throws IOException {
    List<Path> out = new ArrayList<>(List.of(Path.of("/usr/bin/java").toRealPath()));
    Path temurin25 = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64/bin/java");
    if (Files.isExecutable(temurin25)) {
      out.add(temurin25);
    }
    return out;
  }

  static String version(Path java) {
    return Exec.run(Duration.ofSeconds(30), Map.of(), List.of(java.toString(), "-version"))
        .all().lines().filter(l -> l.contains("Runtime Environment")).findFirst()
        .orElse(java.toString()).replaceAll(".*\\(build ", "").replace(")", "").strip();
  }

  // ---- 1 and 2: the hook outside sshd ----

  private Map<String, Object> hookCalls(ScratchInstall install) throws Exception {
    String jdk = version(install.java());
    line("");
    line("Hook calls outside sshd, JDK %s, median / p90 of %d interleaved rounds (ms)", jdk,
        ROUNDS);
    Path shHook = dir.resolve("sh-hook");
    Files.writeString(shHook, "#!/bin/sh\nexec 9>>" + dir.resolve("sh-hook.lock") + "\n"
        + "/usr/bin/flock 9\nprintf '%s %s\\n' \"$PAM_TYPE\" \"$PAM_USER\" >> "
        + dir.resolve("sh-hook.log") + "\n");
    Files.setPosixFilePermissions(shHook, PosixFilePermissions.fromString("rwx------"));
    List<String> empty = List.of(install.java().toString(), "-cp",
        Path.of("target/test-classes").toAbsolutePath().toString(),
        "org.loginwarden.bench.EmptyMain");

    Map<String, Object> byPopulation = new LinkedHashMap<>();
    for (int users : new int[] {10, BIG}) {
      Path config = populations.computeIfAbsent(users, this::population);
      Map<String, List<String>> variants = new LinkedHashMap<>();
      variants.put("empty main", empty);
      variants.put("sh hook", List.of(shHook.toString()));
      for (String type : new String[] {"account", "open_session", "close_session"}) {
        variants.put(type, List.of(install.launcher().toString(), "--config", config.toString(),
            "pam"));
      }
      Map<String, List<Double>> walls = new LinkedHashMap<>();
      variants.keySet().forEach(k -> walls.put(k, new ArrayList<>()));
      for (int r = 0; r < ROUNDS; r++) {
        for (var v : variants.entrySet()) {
          walls.get(v.getKey()).add(wallMillis(v.getValue(), pamEnv(v.getKey())));
        }
      }
      Map<String, Usage> usages = new LinkedHashMap<>();
      for (String k : variants.keySet()) {
        usages.put(k, usage(variants.get(k), pamEnv(k)));
      }
      double baseline = median(walls.get("empty main"));
      double baselineRss = usages.get("empty main").rssKb;
      Map<String, Object> rows = new LinkedHashMap<>();
      line("  state of %,d users:", users);
      line("    %-14s %8s %8s %8s %9s %10s %6s", "", "median", "p90", "x empty", "CPU ms",
          "peak RSS", "x RSS");
      for (String k : variants.keySet()) {
        Usage u = usages.get(k);
        double med = median(walls.get(k));
        rows.put(k, Map.of("medianMs", round(med), "p90Ms", round(p90(walls.get(k))),
            "ratioToEmptyMain", round(med / baseline), "cpuMs", round(u.cpuMs),
            "peakRssKb", u.rssKb, "rssRatioToEmptyMain", round(u.rssKb / baselineRss)));
        line("    %-14s %8.1f %8.1f %8.2f %9.1f %7d KB %6.2f", k, med, p90(walls.get(k)),
            med / baseline, u.cpuMs, u.rssKb, u.rssKb / baselineRss);
      }
      byPopulation.put(Integer.toString(users), rows);
    }
    double small = median10(byPopulation, Integer.toString(10));
    double big = median10(byPopulation, Integer.toString(BIG));
    line("  open_session with %,d users vs 10: %+.1f%%", BIG, (big / small - 1) * 100);
    byPopulation.put("openSessionBigVsSmallPercent", round((big / small - 1) * 100));
    return byPopulation;
  }

  private static double median10(Map<String, Object> byPopulation, String users) {
    return ((Number) ((Map<?, ?>) ((Map<?, ?>) byPopulation.get(users)).get("open_session"))
        .get("medianMs")).doubleValue();
  }

  private static Map<String, String> pamEnv(String variant) {
    if (variant.equals("empty main")) {
      return Map.of();
    }
    String type = variant.equals("sh hook") ? "open_session" : variant;
    return Map.of("PAM_TYPE", type, "PAM_USER", "benchuser", "PAM_SERVICE", "sshd",
        "PAM_RHOST", "192.0.2.1", "PAM_TTY", "ssh");
  }

  /**
   * A config and state directories holding {@code users} users, each with a session. The run
   * directory is on tmpfs where there is one, as /run/loginwarden is on a real host.
   */
  private Path population(int users) {
    try {
      Path run = Files.isDirectory(SHM) ? Files.createTempDirectory(SHM, "lw-bench-")
          : dir.resolve("run-" + users);
      tmpfsDirs.add(run);
      return populate(dir.resolve("pop-" + users), run, users);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static Path populate(Path root, Path run, int users) throws IOException {
    Path sessions = run.resolve("sessions");
    Path persistent = root.resolve("state/users");
    Files.createDirectories(sessions);
    Files.createDirectories(persistent);
    Files.createDirectories(run.resolve("locks"));
    for (Path d : List.of(run, sessions, run.resolve("locks"), root.resolve("state"),
        persistent)) {
      Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwx------"));
    }
    for (int i = 0; i < users; i++) {
      String user = String.format("u%06d", i);
      // The format StateCodec writes (schema 1); a hook reads only its own user's files.
      Files.writeString(sessions.resolve(user + ".json"), "{\"schema\":1,\"user\":\"" + user
          + "\",\"sessions\":[{\"pid\":" + (4_000_000 + i) + ",\"start\":1,\"auditSession\":"
          + i + ",\"service\":\"sshd\",\"rhost\":\"192.0.2.9\",\"rport\":0,\"tty\":\"ssh\","
          + "\"authMethod\":null,\"authKey\":null,\"opened\":\"2026-01-01T00:00:00Z\","
          + "\"ending\":null}]}\n");
      Files.writeString(persistent.resolve(user + ".json"), "{\"schema\":1,\"user\":\"" + user
          + "\",\"violations\":[\"2026-01-01T00:00:00Z\"]}\n");
    }
    Path config = root.resolve("loginwarden.conf");
    Files.writeString(config, String.join("\n", "services = sshd",
        "state_dir = " + root.resolve("state"), "run_dir = " + run,
        "audit_log = " + root.resolve("log/audit.jsonl"),
        "log_file = " + root.resolve("log/loginwarden.log"), ""));
    return config;
  }

  static double wallMillis(List<String> command, Map<String, String> env)
      throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD);
    pb.environment().clear();
    pb.environment().putAll(env);
    long start = System.nanoTime();
    Process p = pb.start();
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new AssertionError(command + " failed with " + env);
    }
    return (System.nanoTime() - start) / 1e6;
  }

  record Usage(double cpuMs, long rssKb) {}

  /** Median CPU time and peak RSS over separate rounds, from the kernel's rusage. */
  private Usage usage(List<String> command, Map<String, String> env) throws Exception {
    List<Double> cpu = new ArrayList<>();
    List<Double> rss = new ArrayList<>();
    Path report = dir.resolve("time.out");
    for (int i = 0; i < USAGE_ROUNDS; i++) {
      List<String> timed = new ArrayList<>(List.of("/usr/bin/python3", RUSAGE.toString(),
          report.toString()));
      timed.addAll(command);
      wallMillis(timed, env);
      String[] f = Files.readString(report).strip().split(" ");
      cpu.add(Double.parseDouble(f[0]));
      rss.add(Double.parseDouble(f[1]));
    }
    return new Usage(median(cpu), (long) median(rss));
  }

  // ---- 3 and 4: through a real sshd ----

  private Map<String, Object> throughSshd(ScratchInstall install) throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    line("");
    line("Through a private sshd on 127.0.0.1 (JDK %s)", version(install.java()));
    try (PrivateSshd plain = PrivateSshd.start("", false, null);
        PrivateSshd guarded = PrivateSshd.start("violations = 100", false,
            install.launcher().toString());
        TestUser u = TestUser.create(guarded.dir)) {
      Clients withLw = new Clients(guarded);
      Clients without = new Clients(plain);
      List<Double> on = new ArrayList<>();
      List<Double> off = new ArrayList<>();
      for (int i = 0; i < SSH_ROUNDS; i++) {
        off.add(timed(() -> check(without.sshKey(u, "true"))));
        on.add(timed(() -> check(withLw.sshKey(u, "true"))));
      }
      line("  ssh -i key user@host true, median of %d (ms): without loginwarden %.1f, with "
          + "%.1f (+%.1f)", SSH_ROUNDS, median(off), median(on), median(on) - median(off));
      out.put("loginToCommandMs", Map.of("without", round(median(off)), "with",
          round(median(on)), "withP90", round(p90(on)), "withoutP90", round(p90(off)),
          "rounds", SSH_ROUNDS));

      out.put("concurrent50", concurrentLogins(withLw, guarded.dir));
      out.put("secondLoginEndsBothMs", secondLogin(withLw, guarded, u));
    }
    return out;
  }

  private Map<String, Object> concurrentLogins(Clients clients, Path work) throws Exception {
    List<TestUser> users = new ArrayList<>();
    try {
      for (int i = 0; i < 50; i++) {
        users.add(TestUser.create(work));
      }
      List<Process> logins = new ArrayList<>();
      long start = System.nanoTime();
      for (TestUser u : users) {
        logins.add(clients.start(u, List.of(), "true"));
      }
      int ok = 0;
      for (Process p : logins) {
        if (p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0) {
          ok++;
        }
      }
      double wall = (System.nanoTime() - start) / 1e6;
      line("  50 users logging in at once: %d of 50 succeeded, %.0f ms until the last ended",
          ok, wall);
      return Map.of("succeeded", ok, "of", 50, "wallMs", round(wall));
    } finally {
      users.forEach(TestUser::close);
    }
  }

  private Map<String, Object> secondLogin(Clients clients, PrivateSshd sshd, TestUser u)
      throws Exception {
    List<Double> gone = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      Process first = clients.start(u, List.of(), "sleep 600");
      Exec.await(Duration.ofSeconds(30), "the first session recorded",
          () -> sshd.liveSessions(u.name).size() == 1 && !u.processes().isEmpty());
      long start = System.nanoTime();
      Process second = clients.start(u, List.of(), "sleep 600");
      Exec.await(Duration.ofSeconds(30), "both sessions gone", () -> {
        if (u.processes().isEmpty()) {
          return true;
        }
        try {
          Thread.sleep(2);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return false;
      });
      gone.add((System.nanoTime() - start) / 1e6);
      for (Process p : List.of(first, second)) {
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      }
      Exec.await(Duration.ofSeconds(30), "no session left recorded",
          () -> sshd.liveSessions(u.name).isEmpty());
    }
    line("  second login -> last process of both sessions gone, 10 rounds (ms): median %.0f, "
        + "p90 %.0f, max %.0f", median(gone), p90(gone), Collections.max(gone));
    return Map.of("medianMs", round(median(gone)), "p90Ms", round(p90(gone)), "maxMs",
        round(Collections.max(gone)), "rounds", gone.size());
  }

  private static Exec.Result check(Exec.Result r) {
    if (r.exit() != 0) {
      throw new AssertionError("login failed: " + r.all());
    }
    return r;
  }

  interface Step {
    void run() throws Exception;
  }

  private static double timed(Step step) throws Exception {
    long start = System.nanoTime();
    step.run();
    return (System.nanoTime() - start) / 1e6;
  }

  // ---- numbers ----

  static double median(List<Double> values) {
    List<Double> s = new ArrayList<>(values);
    Collections.sort(s);
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }

  /** Nearest-rank 90th percentile. */
  static double p90(List<Double> values) {
    return percentile(values, 0.9);
  }

  /** The smallest value at or above the fraction {@code q} of them (nearest rank). */
  static double percentile(List<Double> values, double q) {
    List<Double> s = new ArrayList<>(values);
    Collections.sort(s);
    return s.get((int) Math.ceil(q * s.size()) - 1);
  }

  static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }

  private void line(String format, Object... args) {
    table.append(String.format(format, args)).append('\n');
  }
}
