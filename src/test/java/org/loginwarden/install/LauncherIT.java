package org.loginwarden.install;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.loginwarden.proc.ProcfsProcessTable;

/**
 * The launcher ({@code pam/loginwarden}) and its class-data archive, run for real: a copy of the
 * launcher pointed at a scratch jar and archive (only its two path lines are rewritten), started
 * with a hostile environment, as pam_exec would start it from a user-influenced one.
 */
class LauncherIT {

  @TempDir static Path dir;
  static Path jar;
  static Path archive;
  static Path launcher;
  static Path config;

  record Run(int exit, String out, String err) {}

  @BeforeAll
  static void installIntoScratch() throws Exception {
    Assumptions.assumeTrue(ProcfsProcessTable.effectiveUid() == 0, "the hook needs root");
    ScratchInstall install = ScratchInstall.create(dir, ClassDataArchive.JAVA);
    jar = install.jar();
    archive = install.archive();
    launcher = install.launcher();
    config = dir.resolve("loginwarden.conf");
    Files.writeString(config, String.join("\n",
        "services = sshd-test",
        "state_dir = " + dir.resolve("state"),
        "run_dir = " + dir.resolve("run"),
        "audit_log = " + dir.resolve("log/audit.jsonl"),
        "log_file = " + dir.resolve("log/loginwarden.log"), ""));
  }

  static Run launch(Map<String, String> env, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(launcher.toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().clear();
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "launcher did not finish");
    return new Run(p.exitValue(), new String(p.getInputStream().readAllBytes(),
        StandardCharsets.UTF_8), new String(p.getErrorStream().readAllBytes(),
        StandardCharsets.UTF_8));
  }

  @Test
  void theArchiveIsDumpedForTheLaunchersHeap() throws IOException {
    assertTrue(Files.readString(launcher).contains(" " + ClassDataArchive.MAX_HEAP + " "),
        "the launcher's -Xmx and ClassDataArchive.MAX_HEAP differ");
  }

  @Test
  void theArchiveIsMadeForThisJarAndJvm() throws IOException {
    assertTrue(Files.size(archive) > 1_000_000, "archive too small: " + Files.size(archive));
    assertEquals("rw-r--r--", PosixFilePermissions.toString(
        Files.getPosixFilePermissions(archive)));
    assertTrue(new ClassDataArchive(ClassDataArchive.JAVA, jar, archive).usable());
    try (var left = Files.list(archive.getParent())) {
      assertEquals(List.of(archive), left.toList(), "temporary files left beside the archive");
    }
  }

  @Test
  void jvmOptionsFromTheEnvironmentNeverReachTheJvmButPamVariablesDo() throws Exception {
    Path marker = dir.resolve("shell-ran");
    String hostile = "$(touch " + marker + ")`touch " + marker + "`;touch " + marker;
    Run r = launch(Map.of(
        "JAVA_TOOL_OPTIONS", "-Xmx1k -XX:+PrintFlagsFinal",
        "_JAVA_OPTIONS", "-Xmx1k",
        "JDK_JAVA_OPTIONS", "-Xmx1k",
        "CLASSPATH", "/nonexistent",
        "PAM_TYPE", "open_session",
        "PAM_USER", "lwlaunch",
        "PAM_SERVICE", "sshd-test",
        "PAM_RHOST", "192.0.2.7",
        "SSH_AUTH_INFO_0", "publickey ssh-ed25519 " + hostile + "\n"),
        "--config", config.toString(), "pam");

    // A JVM that saw any of them would print "Picked up ..." or fail on a 1k heap.
    assertEquals(new Run(0, "", ""), r);
    assertFalse(Files.exists(marker), "a value was run by a shell");
    String audit = Files.readString(dir.resolve("log/audit.jsonl"), StandardCharsets.UTF_8);
    assertTrue(audit.contains("\"event\":\"open\"") && audit.contains("\"rhost\":\"192.0.2.7\""),
        audit);

    Run close = launch(Map.of("PAM_TYPE", "close_session", "PAM_USER", "lwlaunch",
        "PAM_SERVICE", "sshd-test", "PAM_RHOST", "192.0.2.7"), "--config", config.toString(),
        "pam");
    assertEquals(new Run(0, "", ""), close);
  }

  @Test
  void aStaleArchiveIsNotUsableAndTheLauncherStillWorksWithoutIt() throws Exception {
    Path other = dir.resolve("other.jar");
    Files.copy(jar, other, StandardCopyOption.REPLACE_EXISTING);
    Files.setLastModifiedTime(other, FileTime.fromMillis(0));
    // Made for `jar`: the JVM refuses it for another jar (path, size and mtime are checked).
    assertFalse(new ClassDataArchive(ClassDataArchive.JAVA, other, archive).usable());
    assertFalse(new ClassDataArchive(ClassDataArchive.JAVA, jar, dir.resolve("none.jsa"))
        .usable());

    Path stale = dir.resolve("stale");
    Files.writeString(stale, Files.readString(launcher).replace("JAR=" + jar, "JAR=" + other));
    Files.setPosixFilePermissions(stale, PosixFilePermissions.fromString("rwxr-xr-x"));
    Process p = new ProcessBuilder(stale.toString(), "--version").start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue());
    assertTrue(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
        .startsWith("loginwarden "));
    assertEquals("", new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
  }
}
