package org.loginwarden.install;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Puts loginwarden on a machine, or under {@code root} for tests and packagers: the jar in
 * /usr/share/loginwarden and the two PAM lines in /etc/pam.d/sshd. Running it again changes
 * nothing. It does not reload sshd: the lines take effect at the next login.
 */
public final class Installer {

  public static final String JAR = "usr/share/loginwarden/loginwarden.jar";
  public static final String PAM = "etc/pam.d/sshd";
  private static final Pattern USE_PAM_NO = Pattern.compile("(?i)^\\s*UsePAM\\s+no\\b.*");

  private final Path root;

  public Installer(Path root) {
    this.root = root;
  }

  /** Installs; returns one line per thing done or to check. */
  public List<String> install(Path jar) throws IOException {
    List<String> report = new ArrayList<>();
    Path target = root.resolve(JAR);
    if (!Files.exists(target) || Files.mismatch(jar, target) != -1) {
      Files.createDirectories(target.getParent());
      Path tmp = target.resolveSibling(".loginwarden.jar.tmp");
      Files.copy(jar, tmp, StandardCopyOption.REPLACE_EXISTING);
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      report.add("installed /" + JAR);
    } else {
      report.add("/" + JAR + " is up to date");
    }

    Path pam = root.resolve(PAM);
    if (!Files.isRegularFile(pam, LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException("no /" + PAM + ": install openssh-server first");
    }
    String before = Files.readString(pam, StandardCharsets.UTF_8);
    String command = "/usr/bin/java -jar /" + JAR + " pam";
    String after;
    try {
      after = PamStack.withHooks(before, command);
    } catch (IllegalArgumentException e) {
      throw new IOException("/" + PAM + ": " + e.getMessage());
    }
    if (after.equals(before)) {
      report.add("/" + PAM + " already has loginwarden's lines");
    } else {
      Path backup = pam.resolveSibling("sshd.loginwarden-backup");
      if (!Files.exists(backup)) {
        Files.copy(pam, backup, StandardCopyOption.COPY_ATTRIBUTES);
      }
      replace(pam, after);
      report.add("added loginwarden's account and session lines to /" + PAM
          + " (backup: /" + PAM + ".loginwarden-backup)");
    }
    report.addAll(checkSshdConfig());
    return report;
  }

  /** Takes out exactly what install added; keeps state and logs. */
  public List<String> uninstall() throws IOException {
    List<String> report = new ArrayList<>();
    Path pam = root.resolve(PAM);
    if (Files.isRegularFile(pam, LinkOption.NOFOLLOW_LINKS)) {
      String text = Files.readString(pam, StandardCharsets.UTF_8);
      if (PamStack.isInstalled(text)) {
        replace(pam, PamStack.withoutHooks(text));
        Files.deleteIfExists(pam.resolveSibling("sshd.loginwarden-backup"));
        report.add("removed loginwarden's lines from /" + PAM);
      }
    }
    if (Files.deleteIfExists(root.resolve(JAR))) {
      report.add("removed /" + JAR);
    }
    Path dir = root.resolve(JAR).getParent();
    if (Files.isDirectory(dir)) {
      try (var left = Files.list(dir)) {
        if (left.findAny().isEmpty()) {
          Files.delete(dir);
        }
      }
    }
    report.add("state and audit log are kept (/var/lib/loginwarden, /var/log/loginwarden)");
    return report;
  }

  private List<String> checkSshdConfig() throws IOException {
    Path config = root.resolve("etc/ssh/sshd_config");
    if (!Files.isRegularFile(config)) {
      return List.of("no /etc/ssh/sshd_config: make sure sshd runs with UsePAM yes");
    }
    boolean usePamNo = Files.readAllLines(config).stream()
        .anyMatch(l -> USE_PAM_NO.matcher(l).matches());
    List<String> out = new ArrayList<>();
    if (usePamNo) {
      out.add("WARNING: /etc/ssh/sshd_config says 'UsePAM no': loginwarden is never called. "
          + "Set UsePAM yes and reload sshd");
    }
    out.add("set 'MaxSessions 1' in /etc/ssh/sshd_config so that one connection cannot "
        + "multiplex several shells, then: systemctl reload ssh");
    return out;
  }

  /** Writes a file in place of the old one, keeping its mode, by temp file and rename. */
  private static void replace(Path file, String text) throws IOException {
    Path tmp = file.resolveSibling("." + file.getFileName() + ".loginwarden-tmp");
    Files.writeString(tmp, text, StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(tmp, Files.getPosixFilePermissions(file));
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
