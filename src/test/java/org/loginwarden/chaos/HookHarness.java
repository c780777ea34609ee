package org.loginwarden.chaos;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.loginwarden.core.SessionKey;
import org.loginwarden.e2e.Exec;
import org.loginwarden.store.FileStateStore;
import org.loginwarden.store.StoreException;

/**
 * Runs the built jar's {@code pam} hook and {@code watch} as real processes, without an sshd:
 * each session is a {@code fake_priv.py} process standing in for the {@code [priv]} sshd (the
 * hook's parent, with a user-side child and its own audit session id). The JVM flags are those
 * of a lean launcher (C1 only, serial GC, a class-data archive made once per harness), so that
 * hundreds of hook runs fit in the time budget; the code run is the jar's, unchanged.
 */
final class HookHarness implements AutoCloseable {

  static final Path JAR = Path.of(System.getProperty("loginwarden.jar", "target/loginwarden.jar"))
      .toAbsolutePath();
  static final Path FAKE_PRIV = Path.of("src/test/resources/chaos/fake_priv.py").toAbsolutePath();
  static final String SERVICE = "sshd-chaos";
  /** What {@link FakePriv#run} answers for a hook the kill reached. */
  static final int KILLED = -9;
  /** Likewise, when the hook held a store lock at that moment: inside a transaction. */
  static final int KILLED_HOLDING_LOCK = -10;

  /** The unprivileged uid the fake user-side processes run as. */
  static final int NOBODY = 65534;

  final Path dir;
  final Path config;
  final Path stateDir;
  final Path runDir;
  final Path auditLog;
  private final Path archive;
  private final List<FakePriv> privs = new ArrayList<>();
  private final List<Process> others = new ArrayList<>();

  HookHarness(Path dir, String extraConfig) throws Exception {
    this.dir = Files.createDirectories(dir);
    this.stateDir = dir.resolve("state");
    this.runDir = dir.resolve("run");
    this.auditLog = dir.resolve("log/audit.jsonl");
    this.config = dir.resolve("loginwarden.conf");
    this.archive = dir.resolve("loginwarden.jsa");
    config(extraConfig);
    // One hook run with the archive being dumped; later runs map it.
    List<String> dump = new ArrayList<>(List.of("/usr/bin/java", "-XX:TieredStopAtLevel=1",
        "-XX:+UseSerialGC", "-XX:-UsePerfData", "-Xlog:cds=off", "-Xlog:cds+dynamic=off",
        "-XX:ArchiveClassesAtExit=" + archive, "-jar", JAR.toString(), "--config",
        config.toString(), "pam"));
    try (FakePriv p = new FakePriv("warmup", dump)) {
      p.run("open_session", -1);
      p.run("close_session", -1);
    }
    if (!Files.isRegularFile(archive)) {
      throw new AssertionError("no class-data archive was written");
    }
  }

  /** Rewrites the config: the paths, the service, plus {@code extra}. */
  void config(String extra) throws IOException {
    Files.writeString(config, String.join("\n",
        "services = " + SERVICE,
        "state_dir = " + stateDir,
        "run_dir = " + runDir,
        "audit_log = " + auditLog,
        "log_file = " + dir.resolve("log/loginwarden.log"),
        extra, ""));
  }

  /** {@code java ... -jar loginwarden.jar --config CONFIG ARGS}. */
  List<String> jar(String... args) {
    List<String> c = new ArrayList<>(List.of("/usr/bin/java", "-XX:TieredStopAtLevel=1",
        "-XX:+UseSerialGC", "-XX:-UsePerfData", "-XX:SharedArchiveFile=" + archive,
        "-Xshare:auto", "-Xlog:cds=off", "-jar", JAR.toString(), "--config", config.toString()));
    c.addAll(List.of(args));
    return c;
  }

  /** A new session of {@code user}: its fake [priv] started, no hook run yet. */
  FakePriv session(String user) throws IOException {
    FakePriv p = new FakePriv(user, jar("pam"));
    synchronized (privs) {
      privs.add(p);
    }
    return p;
  }

  /** Starts a jar command in the background, its output in {@code dir/NAME.out}. */
  Process start(String name, String... args) throws IOException {
    Process p = new ProcessBuilder(jar(args))
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(name + ".out").toFile()))
        .start();
    synchronized (others) {
      others.add(p);
    }
    return p;
  }

  /** Runs a jar command to its end (bounded). */
  Exec.Result run(String... args) {
    return Exec.run(Duration.ofSeconds(60), java.util.Map.of(), jar(args));
  }

  FileStateStore store() throws StoreException {
    return FileStateStore.open(stateDir, runDir, Duration.ofSeconds(10), true, Clock.systemUTC(),
        line -> { });
  }

  /** Lock files some process still holds: fcntl locks are per process, so this JVM can tell. */
  List<Path> heldLocks() throws IOException {
    List<Path> held = new ArrayList<>();
    Path locks = runDir.resolve("locks");
    if (!Files.isDirectory(locks)) {
      return held;
    }
    try (Stream<Path> files = Files.list(locks)) {
      for (Path f : files.toList()) {
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE);
            FileLock l = ch.tryLock()) {
          if (l == null) {
            held.add(f);
          }
        }
      }
    }
    return held;
  }

  /** Every file under the store whose name says it was left by a crash or moved aside. */
  List<Path> files(String contains) throws IOException {
    try (Stream<Path> all = Files.walk(dir)) {
      return all.filter(p -> p.getFileName().toString().contains(contains)).toList();
    }
  }

  @Override
  public void close() {
    synchronized (privs) {
      privs.forEach(FakePriv::close);
    }
    synchronized (others) {
      for (Process p : others) {
        p.destroyForcibly();
      }
    }
  }

  /** Whether {@code pid} holds a POSIX (fcntl) lock now, as the store's lock is. */
  static boolean holdsLock(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/locks"))) {
      String[] f = line.trim().split("\\s+");
      if (f.length > 4 && f[1].equals("POSIX") && f[4].equals(Long.toString(pid))) {
        return true;
      }
    }
    return false;
  }

  /** Field 22 of /proc/PID/stat: the start time the hook records. */
  static long startTime(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
    return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[19]);
  }

  /** One fake [priv] sshd with its user-side child; runs hooks as its children on request. */
  final class FakePriv implements AutoCloseable {
    final String user;
    final Process process;
    final SessionKey key;
    private final PrintWriter in;
    private final BufferedReader out;

    FakePriv(String user, List<String> hook) throws IOException {
      this.user = user;
      List<String> c = new ArrayList<>(List.of("/usr/bin/python3", FAKE_PRIV.toString(),
          Integer.toString(NOBODY), user, SERVICE, dir.resolve("client.out").toString(), "--"));
      c.addAll(hook);
      ProcessBuilder pb = new ProcessBuilder(c).redirectError(
          ProcessBuilder.Redirect.appendTo(dir.resolve("hooks.err").toFile()));
      pb.environment().clear();
      process = pb.start();
      in = new PrintWriter(new OutputStreamWriter(process.getOutputStream(),
          StandardCharsets.US_ASCII), true);
      out = new BufferedReader(new InputStreamReader(process.getInputStream(),
          StandardCharsets.US_ASCII));
      String ready = out.readLine();
      if (!"ready".equals(ready)) {
        throw new AssertionError("fake [priv] did not start: " + ready);
      }
      key = new SessionKey(process.pid(), startTime(process.pid()));
    }

    /**
     * Runs the hook with PAM_TYPE {@code type}; SIGKILLs it {@code killAfterMillis} after its
     * start unless negative. Returns its exit code, or {@link #KILLED} when the kill landed,
     * {@link #KILLED_HOLDING_LOCK} when it landed inside a store transaction.
     */
    int run(String type, long killAfterMillis) throws IOException {
      return run(type, killAfterMillis, java.util.Map.of());
    }

    /** Likewise, with these variables set to exactly these bytes (null: unset). */
    int run(String type, long killAfterMillis, java.util.Map<String, byte[]> env)
        throws IOException {
      StringBuilder line = new StringBuilder(type + " " + killAfterMillis);
      env.forEach((k, v) -> line.append(' ').append(k).append('=')
          .append(v == null ? "" : java.util.HexFormat.of().formatHex(v)));
      in.println(line);
      String answer = out.readLine();
      if (answer == null) {
        throw new AssertionError("fake [priv] of " + user + " died");
      }
      return switch (answer) {
        case "killed" -> KILLED;
        case "killed-locked" -> KILLED_HOLDING_LOCK;
        default -> Integer.parseInt(answer.substring("exit ".length()));
      };
    }

    /** sshd's connection ends: the user side and the [priv] process go. */
    @Override
    public void close() {
      in.close();
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
    }
  }
}
