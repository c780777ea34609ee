package org.loginwarden.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.loginwarden.install.Installer;
import org.loginwarden.install.PamStack;
import org.loginwarden.install.TreeSnapshot;

/**
 * The built .deb on this machine, for real: dpkg -i, loginwarden doctor, dpkg -r, dpkg -P.
 * The one test that changes the host's /etc/pam.d/sshd: a copy is saved first (in memory and
 * in target/), and the file is put back byte for byte in a finally block whatever happens.
 * The host's sshd is never reloaded, so its running configuration does not change.
 */
class DebianPackageIT {

  static final Path DEB = Path.of(System.getProperty("loginwarden.deb",
      "target/loginwarden_0.1.0_all.deb")).toAbsolutePath();
  static final Path DPKG = Path.of("/usr/bin/dpkg");
  static final Path PAM = Path.of("/etc/pam.d/sshd");
  static final Path DROP_IN = Path.of("/" + Installer.SSHD_DROP_IN);
  static final Path BACKUP = Path.of("/etc/pam.d/sshd.loginwarden-backup");
  /** The state directories purge removes; any already here are moved aside meanwhile. */
  static final List<Path> STATE = Installer.STATE_DIRS.stream().map(d -> Path.of("/" + d))
      .toList();
  /** Where the package's files go; compared with content where it is small. */
  static final Map<Path, Boolean> WATCHED = new LinkedHashMap<>();

  static {
    for (String dir : List.of("/etc/pam.d", "/etc/ssh", "/etc/security", "/etc/logrotate.d")) {
      WATCHED.put(Path.of(dir), true);
    }
    for (String dir : List.of("/usr/share/loginwarden", "/usr/sbin", "/lib/systemd/system",
        "/usr/lib/tmpfiles.d", "/usr/share/man/man5", "/usr/share/man/man8",
        "/usr/share/bash-completion/completions", "/var/lib/loginwarden", "/var/log/loginwarden",
        "/run/loginwarden")) {
      WATCHED.put(Path.of(dir), false);
    }
  }

  static Exec.Result dpkg(String... args) {
    List<String> command = new java.util.ArrayList<>(List.of(DPKG.toString()));
    command.addAll(List.of(args));
    return Exec.run(Duration.ofSeconds(120), Map.of("DEBIAN_FRONTEND", "noninteractive"),
        command);
  }

  static Map<String, String> snapshot() {
    Map<String, String> all = new java.util.TreeMap<>();
    WATCHED.forEach((dir, content) -> TreeSnapshot.of(dir, content)
        .forEach((path, what) -> all.put(dir.resolve(path).toString(), what)));
    return all;
  }

  /** What differs between two snapshots: path to "before -> after" (absent: "-"). */
  static Map<String, String> changes(Map<String, String> before, Map<String, String> after) {
    Map<String, String> out = new java.util.TreeMap<>();
    java.util.Set<String> paths = new java.util.TreeSet<>(before.keySet());
    paths.addAll(after.keySet());
    for (String p : paths) {
      if (!java.util.Objects.equals(before.get(p), after.get(p))) {
        out.put(p, before.getOrDefault(p, "-") + " -> " + after.getOrDefault(p, "-"));
      }
    }
    return out;
  }

  /** The Conffiles: field of dpkg -s: the paths on the indented lines under it. */
  static List<String> conffiles() {
    List<String> out = new java.util.ArrayList<>();
    boolean in = false;
    for (String line : dpkg("-s", "loginwarden").out().lines().toList()) {
      if (in && line.startsWith(" ")) {
        out.add(line.strip().split(" ")[0]);
      } else {
        in = line.equals("Conffiles:");
      }
    }
    return out;
  }

  static boolean packageKnown() {
    return dpkg("-s", "loginwarden").exit() == 0;
  }

  @Test
  void installDoctorRemovePurgeLeavesTheHostAsItWas() throws Exception {
    boolean runnable = Files.isExecutable(DPKG) && Files.isRegularFile(PAM)
        && org.loginwarden.proc.ProcfsProcessTable.effectiveUid() == 0;
    if (!runnable && "true".equals(System.getenv("CI"))) {
      throw new AssertionError("CI=true but not root, or no dpkg or /etc/pam.d/sshd");
    }
    Assumptions.assumeTrue(runnable, "needs root, dpkg and openssh-server");
    Assumptions.assumeFalse(packageKnown() || Files.exists(Path.of("/usr/sbin/loginwarden")),
        "loginwarden is installed on this machine: not touching it");
    assertTrue(Files.isRegularFile(DEB), DEB + " (run mvn package)");

    byte[] pamBefore = Files.readAllBytes(PAM);
    Files.write(Path.of("target/DebianPackageIT.pam.d-sshd.before"), pamBefore);
    boolean dropInBefore = Files.exists(DROP_IN, LinkOption.NOFOLLOW_LINKS);
    boolean backupBefore = Files.exists(BACKUP, LinkOption.NOFOLLOW_LINKS);
    Map<Path, Path> movedAside = new LinkedHashMap<>();
    try {
      for (Path dir : STATE) {
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
          Path aside = dir.resolveSibling(dir.getFileName() + ".before-DebianPackageIT");
          Files.move(dir, aside);
          movedAside.put(dir, aside);
        }
      }
      Map<String, String> before = snapshot();

      Exec.Result install = dpkg("-i", DEB.toString());
      assertEquals(0, install.exit(), install.all());
      String pam = Files.readString(PAM);
      assertEquals(List.of(), PamStack.problems(pam), pam);
      assertTrue(pam.contains("pam_exec.so quiet stdout /usr/sbin/loginwarden pam"), pam);
      assertEquals(List.of("/etc/security/loginwarden.conf"), conffiles());

      // Through the launcher, which must drop the variables that inject JVM options.
      Exec.Result doctor = Exec.run(Duration.ofSeconds(60), Map.of("JAVA_TOOL_OPTIONS",
          "-Dinjected=1", "_JAVA_OPTIONS", "-Dinjected=2", "JDK_JAVA_OPTIONS", "-Dinjected=3"),
          List.of("/usr/sbin/loginwarden", "doctor"));
      System.out.println("doctor after dpkg -i:\n" + doctor.all());
      assertTrue(!doctor.err().contains("Picked up"), doctor.err());
      Exec.Result again = Exec.run(Duration.ofSeconds(60), Map.of(),
          List.of("/usr/sbin/loginwarden", "uninstall"));
      assertEquals(2, again.exit(), again.all());
      assertTrue(again.err().contains("the Debian package loginwarden is installed"), again.all());
      assertTrue(doctor.out().contains("ok   pam: "), doctor.all());
      assertTrue(doctor.out().contains("ok   java: "), doctor.all());
      assertTrue(doctor.out().contains("ok   state-dirs: "), doctor.all());
      if (Files.readString(Path.of("/etc/ssh/sshd_config")).contains("Include /etc/ssh/sshd_config.d")) {
        assertTrue(doctor.out().contains("ok   sshd-maxsessions: "), doctor.all());
      }

      Exec.Result remove = dpkg("-r", "loginwarden");
      assertEquals(0, remove.exit(), remove.all());
      assertArrayEquals(pamBefore, Files.readAllBytes(PAM), "dpkg -r restores /etc/pam.d/sshd");
      assertEquals(dropInBefore, Files.exists(DROP_IN, LinkOption.NOFOLLOW_LINKS));
      assertTrue(Files.exists(Path.of("/etc/security/loginwarden.conf")), "-r keeps conffiles");

      Exec.Result purge = dpkg("-P", "loginwarden");
      assertEquals(0, purge.exit(), purge.all());
      assertArrayEquals(pamBefore, Files.readAllBytes(PAM));
      assertEquals(Map.of(), changes(before, snapshot()), "dpkg -P leaves every file as it was");
    } finally {
      if (packageKnown()) {
        dpkg("-P", "loginwarden");
      }
      if (!java.util.Arrays.equals(pamBefore, Files.readAllBytes(PAM))) {
        Files.write(PAM, pamBefore);
      }
      if (!dropInBefore) {
        Files.deleteIfExists(DROP_IN);
      }
      if (!backupBefore) {
        Files.deleteIfExists(BACKUP);
      }
      for (Map.Entry<Path, Path> e : movedAside.entrySet()) {
        if (Files.exists(e.getKey(), LinkOption.NOFOLLOW_LINKS)) {
          Exec.ok("/bin/rm", "-rf", "--", e.getKey().toString());
        }
        Files.move(e.getValue(), e.getKey(), StandardCopyOption.ATOMIC_MOVE);
      }
    }
  }
}
