package org.loginwarden.e2e;

import java.io.File;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One simulated host of a fleet on this machine: a {@link PrivateSshd} with loginwarden, its
 * own config, state dirs and {@code host_id}, run inside its own PID and mount namespaces, so
 * that it sees and signals only its own processes, and with its own account files.
 *
 * <p>The namespaces belong to an idle {@code sleep} made PID 1 of them by
 * {@code unshare --pid --fork --mount-proc --mount --propagation private}; sshd, the watcher
 * and admin commands join them with {@code nsenter --target INIT --pid --mount}. Killing that
 * PID 1 ends every process inside, and its mounts go with the namespace. That PID 1 does not
 * reap orphans, as on some real hosts: a killed escapee stays a zombie until the host closes.
 *
 * <p>{@code /etc} inside is an overlay: the machine's /etc below, and above it this host's own
 * copies of passwd, group, shadow and gshadow, taken at {@link #start}. So {@code usermod -L}
 * on one host changes that host's /etc/shadow only, and the PAM service file (written to the
 * machine's /etc/pam.d just before) is seen inside. Create the test users before the hosts,
 * or give a user created later to {@link #addUser}: a host's accounts are a snapshot.
 */
final class FleetHost implements AutoCloseable {

  static final Path UNSHARE = Path.of("/usr/bin/unshare");
  static final Path NSENTER = Path.of("/usr/bin/nsenter");
  private static final Duration BOUND = Duration.ofSeconds(20);
  private static final List<String> ACCOUNT_FILES = List.of("passwd", "group", "shadow",
      "gshadow");
  private static final Pattern FLEET_STORE =
      Pattern.compile("(?m)^\\s*store\\s*=\\s*postgresql\\s*$");

  final String name;
  /** The host's sshd, config, state and audit log; {@code new Clients(host.sshd)} logs in. */
  final PrivateSshd sshd;
  private final Path dir;
  private final Process unshare;
  private final long init;
  private boolean mounted;
  private Process watcher;

  private FleetHost(String name, Path dir, Process unshare, long init, String extraConfig)
      throws IOException {
    this.name = name;
    this.dir = dir;
    this.unshare = unshare;
    this.init = init;
    String config = FLEET_STORE.matcher(extraConfig).find()
        ? "host_id = " + name + "\n" + extraConfig
        : extraConfig;
    // Without the JVM's perf-data file: hooks of two hosts can have the same pid.
    this.sshd = PrivateSshd.start(config, false,
        "/usr/bin/java -XX:-UsePerfData -jar " + PrivateSshd.JAR, this::enterForSshd,
        procRoot());
  }

  /**
   * Starts host {@code name} (its {@code host_id} where {@code extraConfig} says
   * {@code store = postgresql}; [a-z0-9], up to 16) with loginwarden's base settings plus
   * {@code extraConfig}, and waits until its sshd listens.
   */
  static FleetHost start(String name, String extraConfig) throws IOException {
    if (!name.matches("[a-z0-9]{1,16}")) {
      throw new IllegalArgumentException("not a host name for the tests: " + name);
    }
    PrivateSshd.assumeAvailable();
    Path dir = Files.createTempDirectory(Path.of("/tmp"), "lw-host-" + name + "-");
    Process unshare = null;
    try {
      Path upper = Files.createDirectories(dir.resolve("etc-upper"));
      Files.createDirectories(dir.resolve("etc-work"));
      for (String f : ACCOUNT_FILES) {
        Exec.ok("/usr/bin/cp", "-a", "/etc/" + f, upper.resolve(f).toString());
      }
      unshare = new ProcessBuilder(UNSHARE.toString(), "--pid", "--fork", "--mount-proc",
          "--mount", "--propagation", "private", "--kill-child", "--", "/usr/bin/sleep",
          "infinity")
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("init.out").toFile()))
          .start();
      long init = awaitInit(unshare, dir.resolve("init.out"));
      return new FleetHost(name, dir, unshare, init, extraConfig);
    } catch (IOException | RuntimeException | Error e) {
      if (unshare != null) {
        unshare.descendants().forEach(ProcessHandle::destroyForcibly);
        unshare.destroyForcibly();
      }
      Exec.run("/bin/rm", "-rf", "--one-file-system", dir.toString());
      throw e;
    }
  }

  /** The namespaces' PID 1, once unshare has set them up and exec'd the idle process. */
  private static long awaitInit(Process unshare, Path out) {
    long[] pid = {0};
    Exec.await(BOUND, "unshare's child to become the host's PID 1", () -> {
      if (!unshare.isAlive()) {
        throw new AssertionError("unshare exited " + unshare.exitValue() + ": "
            + PrivateSshd.read(out));
      }
      return unshare.children().findFirst()
          .filter(c -> Procs.cmdline(c.pid()).equals("/usr/bin/sleep infinity"))
          .map(c -> pid[0] = c.pid()).isPresent();
    });
    return pid[0];
  }

  /** The words that run a command inside this host's PID and mount namespaces. */
  List<String> enter() {
    return List.of(NSENTER.toString(), "--target", Long.toString(init), "--pid", "--mount",
        "--");
  }

  /** Mounts the overlay on /etc at sshd's first launch, after its PAM file is written. */
  private List<String> enterForSshd() {
    if (!mounted) {
      Path upper = dir.resolve("etc-upper");
      List<String> mount = new ArrayList<>(List.of(NSENTER.toString(), "--target",
          Long.toString(init), "--mount", "--", "/usr/bin/mount", "-t", "overlay",
          "lw-host-" + name, "-o", "lowerdir=/etc,upperdir=" + upper + ",workdir="
              + dir.resolve("etc-work"), "/etc"));
      Exec.Result r = Exec.run(BOUND, Map.of(), mount);
      if (r.exit() != 0) {
        throw new AssertionError("cannot mount the overlay on /etc: " + r.all());
      }
      mounted = true;
    }
    return enter();
  }

  /** Runs {@code command} (absolute path first) inside this host. */
  Exec.Result inside(String... command) {
    List<String> c = new ArrayList<>(enter());
    c.addAll(List.of(command));
    return Exec.run(Duration.ofSeconds(60), Map.of(), c);
  }

  /** Runs loginwarden (status, unlock, kick, ...) inside this host, on its config. */
  Exec.Result cli(String... args) {
    return sshd.cli(args);
  }

  /**
   * Puts {@code globalLines} at the top of this host's config, before any section, and returns
   * the file as it was, for {@link #restoreConfig}. Each hook reads the file afresh: the next
   * login sees the change without a restart (a running watcher keeps what it read).
   */
  String prependConfig(String... globalLines) throws IOException {
    String original = Files.readString(config());
    // Rewritten in place: the file keeps its owner and root-only mode, which loginwarden checks.
    Files.writeString(config(), String.join("\n", globalLines) + "\n" + original);
    return original;
  }

  void restoreConfig(String original) throws IOException {
    Files.writeString(config(), original);
  }

  int port() {
    return sshd.port;
  }

  Path auditLog() {
    return sshd.auditLog;
  }

  Path config() {
    return sshd.config;
  }

  /** The host pid of this host's PID 1, whose pid inside is 1. */
  long initPid() {
    return init;
  }

  /** This host's / as its processes see it. */
  Path root() {
    return Path.of("/proc", Long.toString(init), "root");
  }

  /** This host's /proc: pids in it are the host's own. */
  Path procRoot() {
    return root().resolve("proc");
  }

  /** This host's /etc/shadow. */
  byte[] readShadow() throws IOException {
    return Files.readAllBytes(root().resolve("etc/shadow"));
  }

  /** The user's line of this host's /etc/shadow. */
  String shadowLine(TestUser u) throws IOException {
    return new String(readShadow(), java.nio.charset.StandardCharsets.UTF_8).lines()
        .filter(l -> l.startsWith(u.name + ":")).findFirst()
        .orElseThrow(() -> new AssertionError(u.name + " is not in " + name + "'s shadow"));
  }

  /**
   * Copies a user created after this host started (its lines of the machine's passwd, group,
   * shadow and gshadow) into this host's account files.
   */
  void addUser(TestUser u) throws IOException {
    for (String f : ACCOUNT_FILES) {
      Path here = root().resolve("etc").resolve(f);
      String prefix = u.name + ":";
      if (Files.readAllLines(here).stream().noneMatch(l -> l.startsWith(prefix))) {
        String line = Files.readAllLines(Path.of("/etc", f)).stream()
            .filter(l -> l.startsWith(prefix)).findFirst()
            .orElseThrow(() -> new AssertionError(u.name + " is not in /etc/" + f));
        Files.writeString(here, line + "\n", StandardOpenOption.APPEND);
      }
    }
  }

  /** The user's live processes as this host sees them, by the host's own pids. */
  List<Long> processesOf(TestUser u) {
    return Procs.ofUid(procRoot(), u.uid);
  }

  /** The command lines of every process this host can see. */
  List<String> visibleCommandLines() throws IOException {
    List<String> out = new ArrayList<>();
    try (DirectoryStream<Path> pids = Files.newDirectoryStream(procRoot(), "[0-9]*")) {
      for (Path p : pids) {
        out.add(Procs.cmdline(procRoot(), Long.parseLong(p.getFileName().toString())));
      }
    }
    return out;
  }

  /** Starts {@code loginwarden watch} inside this host; it must not be running. */
  void startWatcher() throws IOException {
    if (watcher != null && watcher.isAlive()) {
      throw new IllegalStateException(name + "'s watcher is running");
    }
    watcher = sshd.startWatch();
    Exec.await(BOUND, name + "'s watcher JVM to start", () -> watcherPid() != 0);
  }

  /** The watcher's JVM, by its pid on the machine (0 for none): nsenter's child. */
  long watcherPid() {
    if (watcher == null || !watcher.isAlive()) {
      return 0;
    }
    return watcher.children().mapToLong(ProcessHandle::pid).findFirst().orElse(0);
  }

  /** SIGKILLs the watcher, as a crash would, and waits until it is gone. */
  void stopWatcher() {
    long pid = watcherPid();
    if (pid != 0) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
    if (watcher != null) {
      Process w = watcher;
      Exec.await(BOUND, name + "'s watcher to be gone", () -> !w.isAlive());
    }
  }

  /**
   * Ends every process of this host by killing its PID 1, then removes its sshd's files, PAM
   * service and directories.
   */
  @Override
  public void close() throws IOException {
    try {
      ProcessHandle.of(init).ifPresent(ProcessHandle::destroyForcibly);
      Exec.await(BOUND, name + "'s namespaces to end", () -> !unshare.isAlive());
      if (watcher != null) {
        Process w = watcher;
        Exec.await(BOUND, name + "'s watcher's nsenter to exit", () -> !w.isAlive());
      }
    } finally {
      sshd.close();
      Exec.run("/bin/rm", "-rf", "--one-file-system", dir.toString());
    }
  }
}
