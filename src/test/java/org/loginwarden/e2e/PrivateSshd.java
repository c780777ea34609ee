package org.loginwarden.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.loginwarden.core.Presence;
import org.loginwarden.core.Session;
import org.loginwarden.core.UserState;
import org.loginwarden.demo.SandboxSshd;
import org.loginwarden.proc.ProcfsProcessTable;
import org.loginwarden.proc.SessionTerminator;
import org.loginwarden.store.FileStateStore;
import org.loginwarden.store.StoreException;

/**
 * A real sshd on 127.0.0.1 with loginwarden wired into its own PAM service, for tests: the
 * main code's {@link SandboxSshd} (which {@code loginwarden demo} uses too) with a scratch
 * loginwarden config, state dirs and audit log. sshd names its PAM service after its program
 * name, so a symlink {@code sshd-lwNNNN -> /usr/sbin/sshd} reads {@code /etc/pam.d/sshd-lwNNNN}:
 * a copy of Debian's /etc/pam.d/sshd with loginwarden's two lines, and with {@code guardAuth}
 * its two auth lines around {@code @include common-auth}. The host's /etc/pam.d/sshd is never
 * touched.
 */
final class PrivateSshd implements AutoCloseable {

  static final Path SSHD = SandboxSshd.SSHD;
  static final Path JAR = Path.of(System.getProperty("loginwarden.jar",
      "target/loginwarden.jar")).toAbsolutePath();

  final Path dir;
  final String service;
  int port;
  final Path config;
  final Path stateDir;
  final Path runDir;
  final Path auditLog;
  final Path rootKey;
  /** The /proc in which this sshd's sessions' pids mean something. */
  final Path procRoot;
  private final SandboxSshd.Wrapper wrapper;
  private SandboxSshd sandbox;

  /** Skips where sshd is missing, except in CI, where a missing sshd is a failure. */
  static void assumeAvailable() {
    boolean present = Files.isExecutable(SSHD) && Files.isExecutable(Path.of("/usr/bin/sshpass"))
        && Files.isRegularFile(Path.of("/etc/pam.d/sshd"));
    if (!present && "true".equals(System.getenv("CI"))) {
      throw new AssertionError("CI=true but openssh-server or sshpass is not installed");
    }
    Assumptions.assumeTrue(present, "openssh-server and sshpass are needed");
    Assumptions.assumeTrue(ProcfsProcessTable.effectiveUid() == 0, "needs root");
    if (!Files.isRegularFile(JAR)) {
      throw new AssertionError("no " + JAR + ": run mvn verify, which packages first");
    }
  }

  /** Starts an sshd whose loginwarden config is the base settings plus {@code extraConfig}. */
  static PrivateSshd start(String extraConfig) throws IOException {
    return start(extraConfig, false);
  }

  /** Likewise; with {@code guardAuth}, the failed-login lines of pam/sshd are added too. */
  static PrivateSshd start(String extraConfig, boolean guardAuth) throws IOException {
    return start(extraConfig, guardAuth, "/usr/bin/java -jar " + JAR);
  }

  /**
   * Likewise, with loginwarden run as {@code program} (e.g. a launcher) in the PAM lines; null
   * leaves loginwarden out of the stack altogether, for a baseline.
   */
  static PrivateSshd start(String extraConfig, boolean guardAuth, String program)
      throws IOException {
    return start(extraConfig, guardAuth, program, List::of, Path.of("/proc"));
  }

  /**
   * Likewise, with sshd, {@link #cli} and {@link #startWatch} run under {@code wrapper}, and
   * sessions looked up in {@code procRoot}: a simulated host's namespaces ({@link FleetHost}).
   */
  static PrivateSshd start(String extraConfig, boolean guardAuth, String program,
      SandboxSshd.Wrapper wrapper, Path procRoot) throws IOException {
    assumeAvailable();
    Path dir = Files.createTempDirectory(Path.of("/tmp"), "lw-e2e-");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
    String service = "sshd-" + dir.getFileName().toString().replace("lw-e2e-", "lw");
    PrivateSshd s = new PrivateSshd(dir, service.substring(0, Math.min(service.length(), 24)),
        wrapper, procRoot);
    try {
      s.launch(extraConfig, guardAuth, program);
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
    return s;
  }

  private PrivateSshd(Path dir, String service, SandboxSshd.Wrapper wrapper, Path procRoot) {
    this.dir = dir;
    this.wrapper = wrapper;
    this.procRoot = procRoot;
    this.service = service;
    this.stateDir = dir.resolve("state");
    this.runDir = dir.resolve("run");
    this.auditLog = dir.resolve("log/audit.jsonl");
    this.config = dir.resolve("loginwarden.conf");
    this.rootKey = dir.resolve("root_ed25519");
  }

  private void launch(String extraConfig, boolean guardAuth, String program)
      throws IOException {
    Files.writeString(config, String.join("\n",
        "services = " + service,
        "state_dir = " + stateDir,
        "run_dir = " + runDir,
        "audit_log = " + auditLog,
        "log_file = " + dir.resolve("log/loginwarden.log"),
        extraConfig, ""));
    Exec.ok("/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", rootKey.toString());
    Files.copy(Path.of(rootKey + ".pub"), dir.resolve("authorized_keys_root"));
    String hook = program == null ? null : program + " --config " + config + " pam";
    sandbox = SandboxSshd.start(dir, service, hook, guardAuth, List.of(
        "PermitRootLogin prohibit-password",
        // Root's key lives in the test's directory: root's own files are never touched.
        "AuthorizedKeysFile .ssh/authorized_keys " + dir + "/authorized_keys_%u",
        "StrictModes no"), wrapper);
    port = sandbox.port();
  }

  /**
   * A reboot as loginwarden sees it: sshd and every connection stopped, run_dir (tmpfs on a
   * real host) wiped, sshd started again on the same port, config and state_dir.
   */
  void restartAsAfterReboot() throws IOException {
    sandbox.stop();
    Exec.run("/bin/rm", "-rf", "--one-file-system", runDir.toString());
    sandbox.launch();
  }

  static String read(Path p) {
    try {
      return Files.exists(p) ? Files.readString(p) : "";
    } catch (IOException e) {
      return "";
    }
  }

  /** The state as the hooks left it, read through the store's own reader. */
  UserState state(String user) {
    try {
      return FileStateStore.open(stateDir, runDir, Duration.ofSeconds(5), true,
          Clock.systemUTC(), line -> { }).peek(user);
    } catch (StoreException e) {
      throw new AssertionError(e.getMessage(), e);
    }
  }

  /** Recorded sessions of the user whose sshd holds a live user-side process. */
  List<Session> liveSessions(String user) {
    SessionTerminator probe = new SessionTerminator(new ProcfsProcessTable(procRoot));
    return state(user).sessions().stream()
        .filter(s -> probe.presence(s) == Presence.LIVE).toList();
  }

  String audit() {
    return read(auditLog);
  }

  /** Runs the built jar against this instance's config, as an admin would. */
  Exec.Result cli(String... args) {
    try {
      return Exec.run(Duration.ofSeconds(60), Map.of(), loginwarden(args));
    } catch (IOException e) {
      throw new AssertionError("cannot run loginwarden " + String.join(" ", args), e);
    }
  }

  /**
   * The command line of the built jar on this instance's config, under the wrapper. Without the
   * JVM's perf-data file: two JVMs with one pid in two PID namespaces would share it.
   */
  private List<String> loginwarden(String... args) throws IOException {
    List<String> command = new ArrayList<>(wrapper.prefix());
    command.addAll(List.of("/usr/bin/java", "-XX:-UsePerfData", "-jar", JAR.toString(),
        "--config", config.toString()));
    command.addAll(List.of(args));
    return command;
  }

  /** Starts {@code loginwarden watch} on this instance's config, as systemd would. */
  Process startWatch() throws IOException {
    return new ProcessBuilder(loginwarden("watch"))
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("watch.out").toFile()))
        .start();
  }

  /** The audit lines of one event for one user, parsed. */
  List<com.fasterxml.jackson.databind.JsonNode> auditEvents(String event, String user) {
    List<com.fasterxml.jackson.databind.JsonNode> out = new ArrayList<>();
    var json = new com.fasterxml.jackson.databind.ObjectMapper();
    for (String line : audit().split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      try {
        var n = json.readTree(line);
        if (n.path("event").asText().equals(event) && n.path("user").asText().equals(user)) {
          out.add(n);
        }
      } catch (IOException e) {
        throw new AssertionError("audit line is not JSON: " + line, e);
      }
    }
    return out;
  }

  @Override
  public void close() throws IOException {
    if (sandbox != null) {
      sandbox.close();
    }
    Exec.run("/bin/rm", "-rf", "--one-file-system", dir.toString());
  }
}
