package org.loginwarden.install;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The built jar's install and uninstall into a scratch root: never the host's files. */
class InstallIT {

  static final Path JAR = Path.of(System.getProperty("loginwarden.jar", "target/loginwarden.jar"))
      .toAbsolutePath();

  @TempDir Path root;

  int run(String... args) throws Exception {
    List<String> c = new java.util.ArrayList<>(List.of("/usr/bin/java", "-jar", JAR.toString()));
    c.addAll(List.of(args));
    Process p = new ProcessBuilder(c).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    if (p.exitValue() != 0) {
      System.err.println(output);
    }
    return p.exitValue();
  }

  @Test
  void installTwiceThenUninstallRestoresPamByteForByte() throws Exception {
    Path pam = root.resolve("etc/pam.d/sshd");
    Files.createDirectories(pam.getParent());
    Files.writeString(pam, PamStackTest.DEBIAN);
    byte[] before = Files.readAllBytes(pam);

    assertEquals(0, run("install", "--root", root.toString()));
    byte[] installed = Files.readAllBytes(pam);
    assertEquals(0, run("install", "--root", root.toString()));
    assertArrayEquals(installed, Files.readAllBytes(pam), "a second install adds nothing");
    assertTrue(Files.readString(pam).contains(
        "session  required  pam_exec.so quiet stdout /usr/bin/java -jar "
            + "/usr/share/loginwarden/loginwarden.jar pam"));
    assertEquals(-1, Files.mismatch(JAR, root.resolve(Installer.JAR)));

    assertEquals(0, run("uninstall", "--root", root.toString()));
    assertArrayEquals(before, Files.readAllBytes(pam));
    assertFalse(Files.exists(root.resolve(Installer.JAR)));
    assertFalse(Files.exists(root.resolve("etc/pam.d/sshd.loginwarden-backup")));
  }
}
