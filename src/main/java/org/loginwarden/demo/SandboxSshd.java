package org.loginwarden.demo;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.loginwarden.account.Commands;
import org.loginwarden.install.PamStack;

/**
 * A real sshd on 127.0.0.1 with loginwarden wired into its own PAM service, leaving the host's
 * sshd and /etc/pam.d/sshd alone. sshd names its PAM service after its program name, so a
 * symlink {@code DIR/SERVICE -> /usr/sbin/sshd} reads {@code /etc/pam.d/SERVICE}: a copy of
 * /etc/pam.d/sshd with loginwarden's lines added as {@code install} adds them. Everything else
 * (host key, sshd_config, pid file, log) lives in {@code DIR}, which the caller owns.
 */
public final class SandboxSshd implements AutoCloseable {

  public static final Path SSHD = Path.of("/usr/sbin/sshd");
  static final Path SSH_KEYGEN = Path.of("/usr/bin/ssh-keygen");
  static final Path HOST_PAM = Path.of("/etc/pam.d/sshd");
  private static final Duration LISTEN_LIMIT = Duration.ofSeconds(20);

  private final Path dir;
  private final String service;
  private final int port;
  private final Path pamFile;
  private final Path sshdConfig;
  private final Wrapper wrapper;
  private Process sshd;

  /**
   * A command that sshd runs under, e.g. {@code nsenter} into a simulated host's namespaces
   * (the fleet tests); asked at each launch, after the PAM service file is written.
   */
  @FunctionalInterface
  public interface Wrapper {
    /** The words put before sshd's own command line; empty for none. */
    List<String> prefix() throws IOException;
  }

  private SandboxSshd(Path dir, String service, int port, Path sshdConfig, Wrapper wrapper) {
    this.dir = dir;
    this.service = service;
    this.port = port;
    this.pamFile = HOST_PAM.resolveSibling(service);
    this.sshdConfig = sshdConfig;
    this.wrapper = wrapper;
  }

  /**
   * Writes the host key, sshd_config, PAM service and symlink, and starts sshd.
   *
   * @param service    the PAM service name, {@code sshd-} and a suffix of [a-z0-9]
   * @param hook       loginwarden's command line for pam_exec (no spaces in its paths); null
   *                   for none (a baseline without loginwarden)
   * @param guardAuth  also the failed-login lines around {@code @include common-auth}
   * @param extraSshd  more sshd_config lines
   */
  public static SandboxSshd start(Path dir, String service, String hook, boolean guardAuth,
      List<String> extraSshd) throws IOException {
    return start(dir, service, hook, guardAuth, extraSshd, List::of);
  }

  /** Likewise, with sshd started under {@code wrapper}. */
  public static SandboxSshd start(Path dir, String service, String hook, boolean guardAuth,
      List<String> extraSshd, Wrapper wrapper) throws IOException {
    if (!service.matches("sshd-[a-z0-9]{1,19}")) {
      throw new IllegalArgumentException("not a sandbox service name: " + service);
    }
    Path hostKey = dir.resolve("host_ed25519");
    Commands.Result key = Commands.run(Duration.ofSeconds(30), SSH_KEYGEN, "-q", "-t", "ed25519",
        "-N", "", "-f", hostKey.toString());
    if (key.exitCode() != 0) {
      throw new IOException("ssh-keygen: " + key.firstErrorLine());
    }
    Files.createDirectories(Path.of("/run/sshd"));
    int port = freePort();
    List<String> config = new ArrayList<>(List.of(
        "Port " + port,
        "ListenAddress 127.0.0.1",
        "HostKey " + hostKey,
        "PidFile " + dir.resolve("sshd.pid"),
        "UsePAM yes",
        "KbdInteractiveAuthentication yes",
        "PasswordAuthentication yes",
        "MaxSessions 1",
        "MaxStartups 200:30:300",
        "Subsystem sftp /usr/lib/openssh/sftp-server"));
    config.addAll(extraSshd);
    Path sshdConfig = dir.resolve("sshd_config");
    Files.writeString(sshdConfig, String.join("\n", config) + "\n");

    SandboxSshd s = new SandboxSshd(dir, service, port, sshdConfig, wrapper);
    Files.writeString(s.pamFile, pamStack(Files.readString(HOST_PAM), hook, guardAuth));
    Files.createSymbolicLink(dir.resolve(service), SSHD);
    try {
      s.launch();
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
    return s;
  }

  /**
   * The host's sshd PAM stack with loginwarden's account and session lines (and with
   * {@code guardAuth} its auth lines) where {@code install} puts them.
   */
  static String pamStack(String hostPam, String hook, boolean guardAuth) throws IOException {
    // Without the host's own loginwarden lines, if any (an installed loginwarden's, or the
    // Debian package test's for a while).
    String host = PamStack.withoutHooks(hostPam);
    if (hook == null) {
      return host;
    }
    List<String> pam = new ArrayList<>();
    boolean sessionAdded = false;
    boolean authAdded = false;
    for (String line : host.split("\n", -1)) {
      if (line.startsWith("@include common-account")) {
        pam.add(PamStack.accountLine(hook));
      }
      if (guardAuth && line.startsWith("@include common-auth")) {
        pam.add(PamStack.authCheckLine(hook));
        pam.add(line);
        pam.add(PamStack.authSucceededLine(hook));
        authAdded = true;
        continue;
      }
      pam.add(line);
      if (line.matches("^session\\s+required\\s+pam_loginuid\\.so.*")) {
        pam.add(PamStack.sessionLine(hook));
        sessionAdded = true;
      }
    }
    if (!sessionAdded) {
      throw new IOException(HOST_PAM + " has no pam_loginuid line to place the hook after");
    }
    if (guardAuth && !authAdded) {
      throw new IOException(HOST_PAM + " has no '@include common-auth' to guard");
    }
    return String.join("\n", pam);
  }

  public int port() {
    return port;
  }

  public String service() {
    return service;
  }

  public Path pamFile() {
    return pamFile;
  }

  /** Starts sshd (again) on the same port and files, and waits until it listens. */
  public void launch() throws IOException {
    List<String> command = new ArrayList<>(wrapper.prefix());
    command.addAll(List.of(dir.resolve(service).toString(), "-D", "-f", sshdConfig.toString(),
        "-E", dir.resolve("sshd.log").toString()));
    sshd = new ProcessBuilder(command)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("sshd.out").toFile()))
        .start();
    long until = System.nanoTime() + LISTEN_LIMIT.toNanos();
    while (!listening()) {
      if (!sshd.isAlive()) {
        throw new IOException("sshd exited: " + read(dir.resolve("sshd.log"))
            + read(dir.resolve("sshd.out")));
      }
      if (System.nanoTime() - until > 0) {
        throw new IOException("sshd did not listen on 127.0.0.1:" + port + " within "
            + LISTEN_LIMIT.toSeconds() + " s");
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while starting sshd");
      }
    }
  }

  /** Stops sshd and every connection it has (they are its children). */
  public void stop() {
    if (sshd == null) {
      return;
    }
    sshd.descendants().forEach(ProcessHandle::destroyForcibly);
    sshd.destroyForcibly();
    try {
      sshd.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Stops sshd and removes the PAM service and the symlink; {@code DIR} is the caller's. */
  @Override
  public void close() throws IOException {
    stop();
    Files.deleteIfExists(pamFile);
    Files.deleteIfExists(dir.resolve(service));
  }

  private boolean listening() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static String read(Path p) {
    try {
      return Files.exists(p) ? Files.readString(p) : "";
    } catch (IOException e) {
      return "";
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
