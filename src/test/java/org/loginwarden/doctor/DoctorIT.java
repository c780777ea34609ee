package org.loginwarden.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.loginwarden.cli.Main;
import org.loginwarden.core.Lock;
import org.loginwarden.core.SavedAccount;
import org.loginwarden.core.UserState;
import org.loginwarden.e2e.Exec;
import org.loginwarden.install.Installer;
import org.loginwarden.install.PamStack;
import org.loginwarden.install.PamStackTest;
import org.loginwarden.store.FileStateStore;
import org.loginwarden.store.StateStore;

/**
 * Doctor against a healthy tree installed under a scratch root, then each check broken in
 * turn: the check's fail line must appear and the exit status must be 8. sshd's verdict is a
 * real {@code /usr/sbin/sshd -T -f} of the tree's sshd_config; /proc is a tree of files.
 */
class DoctorIT {

  static final Path JAR = Path.of(System.getProperty("loginwarden.jar", "target/loginwarden.jar"))
      .toAbsolutePath();
  static final String SSHD_CONFIG = "UsePAM yes\nMaxSessions 1\nKbdInteractiveAuthentication no\n";

  @TempDir static Path keys;
  @TempDir Path root;
  String out;

  @BeforeAll
  static void hostKey() {
    Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/sbin/sshd"))
        || "true".equals(System.getenv("CI")), "no sshd here");
    Exec.ok("/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
        keys.resolve("host_key").toString());
  }

  @BeforeEach
  void healthyTree() throws Exception {
    write(Installer.PAM, PamStackTest.DEBIAN);
    sshdConfig(SSHD_CONFIG);
    Files.createDirectories(Path.of("/run/sshd")); // sshd -T insists on it, as PrivateSshd
    new Installer(root).install(JAR, false);
    write("proc/self/loginuid", "1000");
    write("proc/self/sessionid", "7");
    write("proc/cmdline", "quiet console=ttyS0\n");
    Files.createDirectories(root.resolve("usr/bin"));
    Files.createSymbolicLink(root.resolve("usr/bin/java"), Path.of("/usr/bin/java"));
    write("etc/shadow", "root:*:19000:0:99999:7:::\nalice:!$6$x:19000:0:99999:7::1:\n");
  }

  void write(String path, String text) throws Exception {
    Path p = root.resolve(path);
    Files.createDirectories(p.getParent());
    Files.writeString(p, text);
  }

  void sshdConfig(String text) throws Exception {
    write(Installer.SSHD_CONFIG, "HostKey " + keys.resolve("host_key") + "\n" + text);
  }

  int doctor(String... extra) {
    StringWriter o = new StringWriter();
    List<String> args = new java.util.ArrayList<>(List.of("doctor", "--root", root.toString()));
    args.addAll(List.of(extra));
    int code = Main.run(args.toArray(String[]::new), new PrintWriter(o, true),
        new PrintWriter(new StringWriter(), true));
    out = o.toString();
    return code;
  }

  /** The one line of check {@code name}, which must have {@code status}. */
  String line(String status, String name) {
    String prefix = String.format("%-4s %s: ", status, name);
    return out.lines().filter(l -> l.startsWith(prefix)).findFirst()
        .orElseThrow(() -> new AssertionError("no '" + prefix + "' line in:\n" + out));
  }

  void failsWith(String name, String words) {
    assertEquals(8, doctor(), out);
    assertTrue(line("fail", name).contains(words), out);
  }

  @Test
  void aHealthyTreePassesEveryCheck() {
    assertEquals(0, doctor(), out);
    assertTrue(out.lines().filter(l -> !l.isEmpty()).allMatch(l -> l.startsWith("ok ")
        || l.matches("\\d+ checks: .*")), out);
    for (String check : List.of("config", "sshd-usepam", "sshd-maxsessions", "pam",
        "audit-session-ids", "state-dirs", "java", "watcher", "locks")) {
      line("ok", check);
    }
  }

  @Test
  void json() {
    assertEquals(0, doctor("--json"), out);
    assertTrue(out.startsWith("{\"ok\":true,\"checks\":[{\"name\":\"config\",\"status\":\"ok\""),
        out);
  }

  @Test
  void configThatDoesNotParse() throws Exception {
    write(Installer.CONFIG, "max_sessions = 0\n");
    failsWith("config", "loginwarden.conf:1: expected a whole number from 1 to 1000");
  }

  @Test
  void sshdWithoutPam() throws Exception {
    sshdConfig("UsePAM no\nMaxSessions 1\n");
    failsWith("sshd-usepam", "usepam no");
  }

  @Test
  void sshdWithoutMaxSessions() throws Exception {
    sshdConfig("UsePAM yes\n");
    failsWith("sshd-maxsessions", "maxsessions 10");
  }

  @Test
  void sshdConfigThatSshdRefuses() throws Exception {
    sshdConfig("UsePAM yes\nNoSuchOption 1\n");
    failsWith("sshd", "sshd -T failed");
  }

  @Test
  void pamLinesMissing() throws Exception {
    write(Installer.PAM, PamStackTest.DEBIAN);
    failsWith("pam", "no loginwarden account line; no loginwarden session line");
  }

  @Test
  void pamSessionLineBeforeLoginuid() throws Exception {
    String good = Files.readString(root.resolve(Installer.PAM));
    String session = PamStack.sessionLine(Installer.HOOK_COMMAND);
    String moved = good.replace(session + "\n", "").replace("@include common-account",
        "@include common-account\n" + session);
    write(Installer.PAM, moved);
    failsWith("pam", "the session line comes before pam_loginuid");
  }

  @Test
  void pamLinesRunAProgramThatIsGone() throws Exception {
    Files.delete(root.resolve(Installer.LAUNCHER));
    failsWith("pam", "/usr/sbin/loginwarden is missing or not executable");
  }

  @Test
  void loginWithoutAuditSessionId() throws Exception {
    write("proc/self/sessionid", "4294967295");
    failsWith("audit-session-ids", "no audit session id");
  }

  @Test
  void auditDisabledOnTheKernelCommandLine() throws Exception {
    write("proc/cmdline", "quiet audit=0\n");
    failsWith("audit-session-ids", "audit=0");
  }

  @Test
  void stateDirWritableByOthers() throws Exception {
    Files.setPosixFilePermissions(root.resolve("var/lib/loginwarden"),
        PosixFilePermissions.fromString("rwxrwxrwx"));
    failsWith("state-dirs", "/var/lib/loginwarden is writable by group or others");
  }

  @Test
  void stateDirIsASymlink() throws Exception {
    Files.delete(root.resolve("run/loginwarden"));
    Files.createSymbolicLink(root.resolve("run/loginwarden"), root.resolve("tmp"));
    failsWith("state-dirs", "/run/loginwarden is a symbolic link");
  }

  @Test
  void stateDirNotRoots() throws Exception {
    Exec.ok("/usr/bin/chown", "65534", root.resolve("var/log/loginwarden").toString());
    failsWith("state-dirs", "/var/log/loginwarden is owned by uid 65534");
  }

  @Test
  void javaTooOld() throws Exception {
    Files.delete(root.resolve("usr/bin/java"));
    // An old JDK's exact words, from a script: no Java 11 is installed here.
    write("usr/bin/java", "#!/bin/sh\necho 'openjdk version \"11.0.22\" 2024-01-16' >&2\n");
    Files.setPosixFilePermissions(root.resolve("usr/bin/java"),
        PosixFilePermissions.fromString("rwxr-xr-x"));
    failsWith("java", "Java 11; loginwarden needs 17 or later");
  }

  @Test
  void timeLimitsWithoutAWatcher() throws Exception {
    write(Installer.CONFIG, "[group night]\nidle_timeout = 15m\n");
    failsWith("watcher", "no watcher runs");

    write("proc/4242/cmdline", "/usr/bin/java\0-jar\0/usr/share/loginwarden/loginwarden.jar\0"
        + "watch\0");
    assertEquals(0, doctor(), out);
    assertTrue(line("ok", "watcher").contains("process 4242"), out);
  }

  @Test
  void lockedInTheStoreButNotInShadow() throws Exception {
    StateStore store = FileStateStore.open(root.resolve("var/lib/loginwarden"),
        root.resolve("run/loginwarden"), Duration.ofSeconds(1), true, Clock.systemUTC(), l -> { });
    for (String user : List.of("alice", "bob")) {
      try (StateStore.Transaction tx = store.begin(user)) {
        tx.write(new UserState(user, List.of(), List.of(), new Lock(Instant.now(), null,
            "admin", "root", new SavedAccount(false, ""))));
      }
    }
    write("etc/shadow", "alice:!$6$x:19000:0:99999:7::1:\nbob:$6$y:19000:0:99999:7:::\n");
    failsWith("locks", "bob is locked by loginwarden but /etc/shadow lets them in");
    assertTrue(!line("fail", "locks").contains("alice"), out);
  }
}
