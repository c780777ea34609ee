package org.loginwarden.e2e;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
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
import org.loginwarden.install.PamStack;
import org.loginwarden.proc.ProcfsProcessTable;
import org.loginwarden.proc.SessionTerminator;
import org.loginwarden.store.FileStateStore;
import org.loginwarden.store.StoreException;

/**
 * A real sshd on 127.0.0.1 with loginwarden wired into its own PAM service. sshd names its PAM
 * service after its program name, so a symlink {@code sshd-lwNNNN -> /usr/sbin/sshd} reads
 * {@code /etc/pam.d/sshd-lwNNNN}: a copy of Debian's /etc/pam.d/sshd with loginwarden's two
 * lines, and with {@code guardAuth} its two auth lines around {@code @include common-auth}.
 * The host's /etc/pam.d/sshd is never touched.
 */
final class PrivateSshd implements AutoCloseable {

  static final Path SSHD = Path.of("/usr/sbin/sshd");
  static final Path JAR = Path.of(System.getProperty("loginwarden.jar",
      "target/loginwarden.jar")).toAbsolutePath();

  final Path dir;
  final String service;
  final int port;
  final Path config;
  final Path stateDir;
  final Path runDir;
  final Path auditLog;
  final Path rootKey;
  private final Path pamFile;
  private final Path sshdConfig;
  private Process sshd;

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
    assumeAvailable();
    Path dir = Files.createTempDirectory(Path.of("/tmp"), "lw-e2e-");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
    String service = "sshd-" + dir.getFileName().toString().replace("lw-e2e-", "lw");
    int port = freePort();
    return new PrivateSshd(dir, service.substring(0, Math.min(service.length(), 24)), port,
        extraConfig, guardAuth, program);
  }

  private PrivateSshd(Path dir, String service, int port, String extraConfig, boolean guardAuth,
      String program) throws IOException {
    this.dir = dir;
    this.service = service;
    this.port = port;
    this.stateDir = dir.resolve("state");
    this.runDir = dir.resolve("run");
    this.auditLog = dir.resolve("log/audit.jsonl");
    this.config = dir.resolve("loginwarden.conf");
    Files.writeString(config, String.join("\n",
        "services = " + service,
        "state_dir = " + stateDir,
        "run_dir = " + runDir,
        "audit_log = " + auditLog,
        "log_file = " + dir.resolve("log/loginwarden.log"),
        extraConfig, ""));

    Path hostKey = dir.resolve("host_ed25519");
    Exec.ok("/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKey.toString());
    rootKey = dir.resolve("root_ed25519");
    Exec.ok("/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", rootKey.toString());
    Path keys = dir.resolve("authorized_keys_root");
    Files.copy(Path.of(rootKey + ".pub"), keys);
    Files.createDirectories(Path.of("/run/sshd"));

    sshdConfig = dir.resolve("sshd_config");
    Files.writeString(sshdConfig, String.join("\n",
        "Port " + port,
        "ListenAddress 127.0.0.1",
        "HostKey " + hostKey,
        "PidFile " + dir.resolve("sshd.pid"),
        "UsePAM yes",
        "KbdInteractiveAuthentication yes",
        "PasswordAuthentication yes",
        "PermitRootLogin prohibit-password",
        // Root's key lives in the test's directory: root's own files are never touched.
        "AuthorizedKeysFile .ssh/authorized_keys " + dir + "/authorized_keys_%u",
        "StrictModes no",
        "MaxSessions 1",
        "MaxStartups 200:30:300",
        "Subsystem sftp /usr/lib/openssh/sftp-server",
        ""));

    pamFile = Path.of("/etc/pam.d", service);
    String hook = program + " --config " + config + " pam";
    List<String> pam = new ArrayList<>();
    boolean sessionAdded = program == null;
    // Without the host's own loginwarden lines, if any (DebianPackageIT adds them for a while).
    for (String line : PamStack.withoutHooks(Files.readString(Path.of("/etc/pam.d/sshd")))
        .lines().toList()) {
      if (program == null) {
        pam.add(line);
        continue;
      }
      if (line.startsWith("@include common-account")) {
        pam.add("account  required  pam_exec.so quiet " + hook);
      }
      if (guardAuth && line.startsWith("@include common-auth")) {
        // As pam/sshd ships them: count before pam_unix, clear after an accepted password.
        pam.add(PamStack.authCheckLine(hook));
        pam.add(line);
        pam.add(PamStack.authSucceededLine(hook));
        continue;
      }
      pam.add(line);
      if (line.matches("^session\\s+required\\s+pam_loginuid\\.so.*")) {
        pam.add("session  required  pam_exec.so quiet stdout " + hook);
        sessionAdded = true;
      }
    }
    if (!sessionAdded) {
      throw new AssertionError("/etc/pam.d/sshd has no pam_loginuid line to place the hook after");
    }
    Files.write(pamFile, pam);
    if (guardAuth && pam.stream().noneMatch(l -> l.contains("--auth-succeeded"))) {
      throw new AssertionError("/etc/pam.d/sshd has no '@include common-auth' to guard");
    }

    Files.createSymbolicLink(dir.resolve(service), SSHD);
    launch();
  }

  private void launch() throws IOException {
    sshd = new ProcessBuilder(dir.resolve(service).toString(), "-D", "-f", sshdConfig.toString(),
        "-E", dir.resolve("sshd.log").toString())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("sshd.out").toFile()))
        .start();
    Exec.await(Duration.ofSeconds(20), "sshd to listen on " + port, this::listening);
  }

  /**
   * A reboot as loginwarden sees it: sshd and every connection stopped, run_dir (tmpfs on a
   * real host) wiped, sshd started again on the same port, config and state_dir.
   */
  void restartAsAfterReboot() throws IOException {
    stop();
    Exec.run("/bin/rm", "-rf", "--one-file-system", runDir.toString());
    launch();
  }

  private void stop() {
    // Connections still open are children of this sshd: end them first, then sshd itself.
    sshd.descendants().forEach(ProcessHandle::destroyForcibly);
    sshd.destroyForcibly();
    try {
      sshd.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private boolean listening() {
    if (!sshd.isAlive()) {
      throw new AssertionError("sshd exited: " + read(dir.resolve("sshd.log"))
          + read(dir.resolve("sshd.out")));
    }
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  static String read(Path p) {
    try {
      return Files.exists(p) ? Files.readString(p) : "";
    } catch (IOException e) {
      return "";
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
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
    SessionTerminator probe = new SessionTerminator(new ProcfsProcessTable(Path.of("/proc")));
    return state(user).sessions().stream()
        .filter(s -> probe.presence(s) == Presence.LIVE).toList();
  }

  String audit() {
    return read(auditLog);
  }

  /** Runs the built jar against this instance's config, as an admin would. */
  Exec.Result cli(String... args) {
    List<String> command = new ArrayList<>(List.of("/usr/bin/java", "-jar", JAR.toString(),
        "--config", config.toString()));
    command.addAll(List.of(args));
    return Exec.run(Duration.ofSeconds(60), Map.of(), command);
  }

  /** Starts {@code loginwarden watch} on this instance's config, as systemd would. */
  Process startWatch() throws IOException {
    return new ProcessBuilder("/usr/bin/java", "-jar", JAR.toString(), "--config",
        config.toString(), "watch")
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
    stop();
    Files.deleteIfExists(pamFile);
    Exec.run("/bin/rm", "-rf", "--one-file-system", dir.toString());
  }
}
