package org.loginwarden.install;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The built jar's install and uninstall into a scratch root: never the host's files. */
class InstallIT {

  static final Path JAR = Path.of(System.getProperty("loginwarden.jar", "target/loginwarden.jar"))
      .toAbsolutePath();
  static final String DEBIAN_SSHD_CONFIG = String.join("\n",
      "Include /etc/ssh/sshd_config.d/*.conf", "KbdInteractiveAuthentication no", "UsePAM yes",
      "X11Forwarding yes", "Subsystem sftp /usr/lib/openssh/sftp-server", "");

  @TempDir Path root;
  String output;

  @BeforeEach
  void debianTree() throws Exception {
    Path pam = root.resolve(Installer.PAM);
    Files.createDirectories(pam.getParent());
    Files.writeString(pam, PamStackTest.DEBIAN);
    // The directories other packages own on Debian: uninstall leaves them, as it found them.
    for (String dir : List.of("etc/ssh/sshd_config.d", "etc/logrotate.d", "etc/security",
        "lib/systemd/system", "usr/lib/tmpfiles.d", "usr/sbin", "usr/share/man/man5",
        "usr/share/man/man8", "usr/share/bash-completion/completions", "var/lib", "var/log",
        "run")) {
      Files.createDirectories(root.resolve(dir));
    }
    Files.writeString(root.resolve(Installer.SSHD_CONFIG), DEBIAN_SSHD_CONFIG);
  }

  int run(String... args) throws Exception {
    List<String> c = new ArrayList<>(List.of("/usr/bin/java", "-jar", JAR.toString()));
    c.addAll(List.of(args));
    Process p = new ProcessBuilder(c).redirectErrorStream(true).start();
    output = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    return p.exitValue();
  }

  String mode(String path) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve(path)));
  }

  @Test
  void installsEveryFileOnceAndUninstallPurgeLeavesTheTreeAsItWas() throws Exception {
    Map<String, String> before = TreeSnapshot.of(root, true);
    byte[] pamBefore = Files.readAllBytes(root.resolve(Installer.PAM));

    assertEquals(0, run("install", "--root", root.toString()), output);
    Map<String, String> installed = TreeSnapshot.of(root, true);
    assertEquals(0, run("install", "--root", root.toString()), output);
    assertEquals(installed, TreeSnapshot.of(root, true), "a second install changes nothing");
    assertFalse(output.contains("installed") || output.contains("added"), output);

    assertEquals(-1, Files.mismatch(JAR, root.resolve(Installer.JAR)));
    assertEquals("rwxr-xr-x", mode(Installer.LAUNCHER));
    assertArrayEquals(Files.readAllBytes(Path.of("pam/loginwarden")),
        Files.readAllBytes(root.resolve(Installer.LAUNCHER)));
    for (Installer.Item item : Installer.FILES) {
      assertArrayEquals(Installer.resource(item.resource()),
          Files.readAllBytes(root.resolve(item.path())), item.path());
      assertEquals(item.mode(), mode(item.path()), item.path());
    }
    for (String dir : Installer.STATE_DIRS) {
      assertEquals("rwx------", mode(dir), dir);
    }
    assertEquals("MaxSessions 1", Files.readAllLines(root.resolve(Installer.SSHD_DROP_IN))
        .stream().filter(l -> !l.startsWith("#")).findFirst().orElseThrow());
    String pam = Files.readString(root.resolve(Installer.PAM));
    assertTrue(pam.contains("session  required  pam_exec.so quiet stdout /usr/sbin/loginwarden pam"),
        pam);
    assertEquals(List.of(), PamStack.problems(pam));
    assertArrayEquals(pamBefore, Files.readAllBytes(root.resolve("etc/pam.d/sshd.loginwarden-backup")));
    assertEquals(ConfigReferenceText.DEFAULT, Files.readString(root.resolve(Installer.CONFIG)));

    assertEquals(0, run("uninstall", "--root", root.toString()), output);
    assertArrayEquals(pamBefore, Files.readAllBytes(root.resolve(Installer.PAM)));
    Map<String, String> kept = TreeSnapshot.of(root, true);
    assertEquals(new java.util.TreeSet<>(Installer.STATE_DIRS),
        new java.util.TreeSet<>(difference(kept, before)), "uninstall keeps only the state");
    kept.keySet().removeAll(Installer.STATE_DIRS);
    assertEquals(before, kept, "uninstall removes every file install added");

    assertEquals(0, run("uninstall", "--purge", "--root", root.toString()), output);
    assertEquals(before, TreeSnapshot.of(root, true));
  }

  @Test
  void keepsAnExistingConfigAndAnEditedOneOnUninstall() throws Exception {
    Path config = root.resolve(Installer.CONFIG);
    Files.createDirectories(config.getParent());
    Files.writeString(config, "max_sessions = 2\n");

    assertEquals(0, run("install", "--root", root.toString()), output);
    assertEquals("max_sessions = 2\n", Files.readString(config));
    assertEquals(0, run("uninstall", "--root", root.toString()), output);
    assertEquals("max_sessions = 2\n", Files.readString(config));
    assertTrue(output.contains("kept /etc/security/loginwarden.conf"), output);
  }

  @Test
  void withoutAnIncludeOfSshdConfigDSaysWhatToAddInstead() throws Exception {
    Files.writeString(root.resolve(Installer.SSHD_CONFIG), "UsePAM yes\n");

    assertEquals(0, run("install", "--root", root.toString()), output);
    assertFalse(Files.exists(root.resolve(Installer.SSHD_DROP_IN)));
    assertTrue(output.contains("add 'MaxSessions 1' to /etc/ssh/sshd_config"), output);
  }

  @Test
  void replacesTheLinesOfAnOlderInstallAndRemovesThemAll() throws Exception {
    Path pam = root.resolve(Installer.PAM);
    byte[] original = Files.readAllBytes(pam);
    Files.writeString(pam, PamStack.withHooks(PamStackTest.DEBIAN,
        "/usr/bin/java -jar /usr/share/loginwarden/loginwarden.jar pam"));

    assertEquals(0, run("install", "--root", root.toString()), output);
    String now = Files.readString(pam);
    assertFalse(now.contains("/usr/bin/java"), now);
    assertEquals(PamStack.withHooks(PamStackTest.DEBIAN, Installer.HOOK_COMMAND), now);
    assertEquals(0, run("uninstall", "--root", root.toString()), output);
    assertArrayEquals(original, Files.readAllBytes(pam));
  }

  @Test
  void reloadingSshdIsOnlyForTheRunningSystem() throws Exception {
    assertEquals(2, run("install", "--reload-sshd", "--root", root.toString()), output);
    assertTrue(output.startsWith("loginwarden: cannot reload sshd for --root"), output);
  }

  static java.util.Set<String> difference(Map<String, String> a, Map<String, String> b) {
    java.util.Set<String> out = new java.util.TreeSet<>(a.keySet());
    out.removeAll(b.keySet());
    return out;
  }

  /** The default config as the jar carries it. */
  static final class ConfigReferenceText {
    static final String DEFAULT = org.loginwarden.config.ConfigReference.defaultFile();
  }
}
