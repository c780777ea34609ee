package org.loginwarden.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.loginwarden.install.ClassDataArchive;
import org.loginwarden.install.ScratchInstall;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/** One private sshd per test class; per test, fresh users and clients, all cleaned up. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class SshdTestBase {

  static final Duration BOUND = Duration.ofSeconds(20);
  /** A held session with a {@code setsid nohup} escapee, as a user hiding a process would. */
  static final String HOLD = "setsid nohup sleep 1000 >/dev/null 2>&1 </dev/null & exec sleep 1000";

  PrivateSshd sshd;
  Clients clients;
  private final List<AutoCloseable> cleanup = new ArrayList<>();

  /** loginwarden settings for this class's sshd, beyond the paths and service name. */
  String loginwardenConfig() {
    return "kill_grace = 2s";
  }

  /** Whether this class's sshd also gets the failed-login lines around common-auth. */
  boolean guardAuth() {
    return false;
  }

  /**
   * Whether the PAM lines run the launcher and its class-data archive, as installed, instead
   * of {@code java -jar} on the built jar.
   */
  boolean installedLauncher() {
    return false;
  }

  private Path scratch;

  @BeforeAll
  void startSshd() throws IOException {
    if (installedLauncher()) {
      PrivateSshd.assumeAvailable();
      scratch = Files.createTempDirectory("lw-launcher-");
      ScratchInstall install = ScratchInstall.create(scratch.resolve("install"),
          ClassDataArchive.JAVA);
      sshd = PrivateSshd.start(loginwardenConfig(), guardAuth(), install.launcher().toString());
    } else {
      sshd = PrivateSshd.start(loginwardenConfig(), guardAuth());
    }
    clients = new Clients(sshd);
  }

  @AfterAll
  void stopSshd() throws IOException {
    if (sshd != null) {
      sshd.close();
    }
    if (scratch != null) {
      Exec.run("/bin/rm", "-rf", "--one-file-system", scratch.toString());
    }
  }

  @AfterEach
  void cleanUp() throws Exception {
    for (AutoCloseable c : cleanup) {
      c.close();
    }
    cleanup.clear();
  }

  /** Ends {@code c} after the test, before anything registered earlier. */
  <T extends AutoCloseable> T afterTest(T c) {
    cleanup.add(0, c);
    return c;
  }

  Process afterTest(Process p) {
    cleanup.add(0, p::destroyForcibly);
    return p;
  }

  TestUser user() throws IOException {
    return afterTest(TestUser.create(sshd.dir));
  }

  void awaitLive(TestUser u, int sessions) {
    Exec.await(BOUND, u.name + " to have " + sessions + " live session(s)",
        () -> sshd.liveSessions(u.name).size() == sessions);
  }

  /** Logs in with {@link #HOLD} and waits until the session counts. */
  Process hold(TestUser u) throws IOException {
    int before = sshd.liveSessions(u.name).size();
    Process p = afterTest(clients.start(u, List.of(), HOLD));
    awaitLive(u, before + 1);
    return p;
  }

  void assertAllEnded(TestUser u, Process... clientsToEnd) {
    for (Process p : clientsToEnd) {
      Exec.await(BOUND, "the client to be disconnected", () -> !p.isAlive());
    }
    try {
      Exec.await(BOUND, "every process of " + u.name + " to end",
          () -> u.processes().isEmpty());
    } catch (AssertionError e) {
      // Which processes outlived the end, for whoever reads the failure.
      StringBuilder left = new StringBuilder();
      for (long pid : u.processes()) {
        left.append("; ").append(pid).append(' ').append(Procs.cmdline(pid))
            .append(" (audit session ").append(Procs.auditSession(pid)).append(')');
      }
      throw new AssertionError(e.getMessage() + left, e);
    }
  }
}
