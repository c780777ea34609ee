package org.loginwarden.install;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.loginwarden.account.Commands;

/**
 * Puts loginwarden on a machine, or under {@code root} for tests and packagers, and takes it
 * off again. Every file comes from the running jar ({@code dist/} in it), so the jar is all
 * install needs. Running install again changes nothing; uninstall removes exactly what
 * install added and gives /etc/pam.d/sshd back byte for byte.
 *
 * <p>Two parts: the files (what the Debian package ships through dpkg) and the wiring (the
 * PAM lines, the sshd drop-in, the state directories: what its maintainer scripts run
 * through {@code --wiring-only}, so there is one implementation of each edit).
 */
public final class Installer {

  /** A file install copies from the jar: where it goes, its resource, its mode. */
  record Item(String path, String resource, String mode) {}

  public static final String JAR = "usr/share/loginwarden/loginwarden.jar";
  public static final String LAUNCHER = "usr/sbin/loginwarden";
  public static final String PAM = "etc/pam.d/sshd";
  public static final String CONFIG = "etc/security/loginwarden.conf";
  public static final String SSHD_CONFIG = "etc/ssh/sshd_config";
  public static final String SSHD_DROP_IN = "etc/ssh/sshd_config.d/loginwarden.conf";
  /** What the PAM lines run: the launcher, which clears Java's injection variables. */
  public static final String HOOK_COMMAND = "/" + LAUNCHER + " pam";

  static final List<Item> FILES = List.of(
      new Item(LAUNCHER, "dist/loginwarden", "rwxr-xr-x"),
      new Item("lib/systemd/system/loginwarden.service", "dist/systemd/loginwarden.service",
          "rw-r--r--"),
      new Item("lib/systemd/system/loginwarden-sweep.service",
          "dist/systemd/loginwarden-sweep.service", "rw-r--r--"),
      new Item("lib/systemd/system/loginwarden-sweep.timer",
          "dist/systemd/loginwarden-sweep.timer", "rw-r--r--"),
      new Item("usr/lib/tmpfiles.d/loginwarden.conf", "dist/tmpfiles.conf", "rw-r--r--"),
      new Item("etc/logrotate.d/loginwarden", "dist/logrotate", "rw-r--r--"),
      new Item("usr/share/man/man8/loginwarden.8.gz", "dist/man/loginwarden.8.gz", "rw-r--r--"),
      new Item("usr/share/man/man5/loginwarden.conf.5.gz", "dist/man/loginwarden.conf.5.gz",
          "rw-r--r--"),
      new Item("usr/share/bash-completion/completions/loginwarden", "dist/completion/loginwarden",
          "rw-r--r--"));
  static final Item DEFAULT_CONFIG = new Item(CONFIG, "dist/etc/loginwarden.conf", "rw-r--r--");
  static final Item DROP_IN = new Item(SSHD_DROP_IN, "dist/sshd_config.conf", "rw-r--r--");
  /** The built-in state_dir, run_dir and audit log directory, as tmpfiles.d makes them. */
  public static final List<String> STATE_DIRS =
      List.of("var/lib/loginwarden", "run/loginwarden", "var/log/loginwarden");
  static final Path SYSTEMCTL = Path.of("/usr/bin/systemctl");
  static final Path SSHD = Path.of("/usr/sbin/sshd");

  private final Path root;

  public Installer(Path root) {
    this.root = root;
  }

  /** Installs; returns one line per thing done or to check. */
  public List<String> install(Path jar, boolean wiringOnly) throws IOException {
    List<String> report = new ArrayList<>();
    if (!wiringOnly) {
      refuseIfPackaged("install");
      installFiles(jar, report);
    }
    // Also with --wiring-only: the package's postinst and its JVM trigger come this way.
    generateClassDataArchive(report);
    for (String dir : STATE_DIRS) {
      Path d = root.resolve(dir);
      if (!Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
        Files.createDirectories(d,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        report.add("created /" + dir + " (0700)");
      }
    }
    addPamLines(report);
    addSshdDropIn(report);
    return report;
  }

  /** Reloads the running sshd after checking its configuration; only on request. */
  public List<String> reloadSshd() throws IOException {
    Commands.Result test = Commands.run(Duration.ofSeconds(10), SSHD, "-t");
    if (test.exitCode() != 0) {
      throw new IOException("sshd -t refuses the configuration, not reloading: "
          + test.firstErrorLine());
    }
    if (!Files.isDirectory(Path.of("/run/systemd/system"))) {
      return List.of("no systemd here: reload sshd yourself (kill -HUP its pid)");
    }
    Commands.Result r = Commands.run(Duration.ofSeconds(30), SYSTEMCTL, "reload", "ssh.service");
    if (r.exitCode() != 0) {
      throw new IOException("systemctl reload ssh.service: " + r.firstErrorLine());
    }
    return List.of("reloaded ssh.service");
  }

  /**
   * Takes out what install added. Keeps state and logs unless {@code purge}, and an edited
   * config unless {@code purge}: a config still equal to the shipped default goes, as it
   * holds nothing of the admin's.
   */
  public List<String> uninstall(boolean wiringOnly, boolean purge) throws IOException {
    List<String> report = new ArrayList<>();
    if (!wiringOnly) {
      refuseIfPackaged("uninstall");
      stopUnits(report);
    }
    Path pam = root.resolve(PAM);
    if (Files.isRegularFile(pam, LinkOption.NOFOLLOW_LINKS)) {
      String text = Files.readString(pam, StandardCharsets.UTF_8);
      if (PamStack.isInstalled(text)) {
        replace(pam, PamStack.withoutHooks(text));
        report.add("removed loginwarden's lines from /" + PAM);
      }
      if (Files.deleteIfExists(pam.resolveSibling("sshd.loginwarden-backup"))) {
        report.add("removed /" + PAM + ".loginwarden-backup");
      }
    }
    if (holds(SSHD_DROP_IN, DROP_IN)) {
      remove(SSHD_DROP_IN, report);
      report.add("reload sshd for that to apply: systemctl reload ssh");
    }
    // Derived from the jar, so it goes with the wiring, as it came (also for the package).
    String archive = ClassDataArchive.ARCHIVE.toString().substring(1);
    if (Files.exists(root.resolve(archive), LinkOption.NOFOLLOW_LINKS)) {
      remove(archive, report);
      removeIfEmpty(root.resolve(archive).getParent());
    }
    if (!wiringOnly) {
      for (Item item : FILES) {
        remove(item.path(), report);
      }
      remove(JAR, report);
      Path config = root.resolve(CONFIG);
      if (Files.isRegularFile(config, LinkOption.NOFOLLOW_LINKS)) {
        if (purge || holds(CONFIG, DEFAULT_CONFIG)) {
          remove(CONFIG, report);
        } else {
          report.add("kept /" + CONFIG + ": it was edited (uninstall --purge removes it)");
        }
      }
      removeIfEmpty(root.resolve(JAR).getParent());
    }
    if (purge) {
      for (String dir : STATE_DIRS) {
        if (deleteTree(root.resolve(dir))) {
          report.add("removed /" + dir);
        }
      }
    } else {
      report.add("state and audit log are kept (/var/lib/loginwarden, /var/log/loginwarden; "
          + "uninstall --purge removes them)");
    }
    return report;
  }

  /** The Debian package's files are dpkg's: install and uninstall leave them to it. */
  private void refuseIfPackaged(String what) {
    if (Files.exists(root.resolve("var/lib/dpkg/info/loginwarden.list"))) {
      throw new IllegalStateException("the Debian package loginwarden is installed: " + what
          + " it with apt or dpkg instead");
    }
  }

  /** A running watcher would lose its jar: stop and disable the units first (systemd only). */
  private void stopUnits(List<String> report) throws IOException {
    if (!root.toAbsolutePath().normalize().equals(Path.of("/"))
        || !Files.isDirectory(Path.of("/run/systemd/system"))) {
      return;
    }
    Commands.Result r = Commands.run(Duration.ofSeconds(30), SYSTEMCTL, "disable", "--now",
        "loginwarden.service", "loginwarden-sweep.timer");
    report.add(r.exitCode() == 0 ? "stopped and disabled loginwarden's units"
        : "could not stop loginwarden's units: " + r.firstErrorLine());
  }

  private void installFiles(Path jar, List<String> report) throws IOException {
    write(JAR, Files.readAllBytes(jar), "rw-r--r--", report);
    for (Item item : FILES) {
      write(item.path(), resource(item.resource()), item.mode(), report);
    }
    Path config = root.resolve(CONFIG);
    if (Files.exists(config, LinkOption.NOFOLLOW_LINKS)) {
      report.add("/" + CONFIG + " exists: kept as it is");
    } else {
      write(CONFIG, resource(DEFAULT_CONFIG.resource()), DEFAULT_CONFIG.mode(), report);
    }
  }

  /**
   * The launcher's class-data archive for the installed jar and /usr/bin/java, made again only
   * when the JVM would not use it (new jar, new JVM). Under another root it is left to the
   * target machine: the archive names the paths it was made for. A failure costs speed, not
   * the install: the hook runs without an archive.
   */
  private void generateClassDataArchive(List<String> report) {
    if (!root.toAbsolutePath().normalize().equals(Path.of("/"))) {
      report.add("class-data archive: made when install runs on the target machine");
      return;
    }
    ClassDataArchive archive = new ClassDataArchive(ClassDataArchive.JAVA, Path.of("/" + JAR),
        ClassDataArchive.ARCHIVE);
    try {
      if (archive.usable()) {
        report.add(ClassDataArchive.ARCHIVE + " is up to date");
      } else {
        archive.generate();
        report.add("made the class-data archive " + ClassDataArchive.ARCHIVE);
      }
    } catch (IOException e) {
      report.add("WARNING: cannot make the class-data archive (the hook runs slower without "
          + "it): " + e.getMessage());
    }
  }

  private void addPamLines(List<String> report) throws IOException {
    Path pam = root.resolve(PAM);
    if (!Files.isRegularFile(pam, LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException("no /" + PAM + ": install openssh-server first");
    }
    String before = Files.readString(pam, StandardCharsets.UTF_8);
    String after;
    try {
      // Out and in again: an older install's lines (another command) become today's.
      after = PamStack.withHooks(PamStack.withoutHooks(before), HOOK_COMMAND);
    } catch (IllegalArgumentException e) {
      throw new IOException("/" + PAM + ": " + e.getMessage());
    }
    if (after.equals(before)) {
      report.add("/" + PAM + " already has loginwarden's lines");
      return;
    }
    Path backup = pam.resolveSibling("sshd.loginwarden-backup");
    if (!PamStack.isInstalled(before)) {
      Files.copy(pam, backup, StandardCopyOption.COPY_ATTRIBUTES,
          StandardCopyOption.REPLACE_EXISTING);
    }
    replace(pam, after);
    report.add("added loginwarden's account and session lines to /" + PAM
        + " (backup: /" + PAM + ".loginwarden-backup); they apply from the next login");
  }

  /**
   * MaxSessions 1 as a drop-in where sshd_config includes sshd_config.d (Debian 12, Ubuntu
   * 22.04 and later); elsewhere a line saying what to add.
   */
  private void addSshdDropIn(List<String> report) throws IOException {
    Path config = root.resolve(SSHD_CONFIG);
    if (!Files.isRegularFile(config)) {
      report.add("no /" + SSHD_CONFIG + ": make sure sshd runs with UsePAM yes and "
          + "MaxSessions 1");
      return;
    }
    List<String> lines = Files.readAllLines(config, StandardCharsets.UTF_8);
    if (lines.stream().anyMatch(l -> keyword(l).equals("usepam")
        && l.strip().toLowerCase(Locale.ROOT).matches("usepam\\s+no\\b.*"))) {
      report.add("WARNING: /" + SSHD_CONFIG + " says 'UsePAM no': loginwarden is never "
          + "called. Set UsePAM yes and reload sshd");
    }
    if (!includesDropInDirectory(lines)) {
      report.add("add 'MaxSessions 1' to /" + SSHD_CONFIG + " (it includes no "
          + "/etc/ssh/sshd_config.d/*.conf), then reload sshd: systemctl reload ssh");
      return;
    }
    if (Files.exists(root.resolve(SSHD_DROP_IN), LinkOption.NOFOLLOW_LINKS)
        && !holds(SSHD_DROP_IN, DROP_IN)) {
      report.add("/" + SSHD_DROP_IN + " exists with other lines: kept as it is");
      return;
    }
    write(SSHD_DROP_IN, resource(DROP_IN.resource()), DROP_IN.mode(), report);
    report.add("reload sshd for MaxSessions 1 to apply: systemctl reload ssh "
        + "(or install --reload-sshd)");
  }

  /** Whether a top-level Include (before any Match) reads /etc/ssh/sshd_config.d/*.conf. */
  static boolean includesDropInDirectory(List<String> sshdConfig) {
    for (String line : sshdConfig) {
      String k = keyword(line);
      if (k.equals("match")) {
        return false;
      }
      if (k.equals("include")) {
        for (String word : line.strip().split("\\s+")) {
          if (word.equals("/etc/ssh/sshd_config.d/*.conf") || word.equals("sshd_config.d/*.conf")) {
            return true;
          }
        }
      }
    }
    return false;
  }

  private static String keyword(String line) {
    String s = line.strip();
    if (s.isEmpty() || s.startsWith("#")) {
      return "";
    }
    return s.split("[\\s=]+", 2)[0].toLowerCase(Locale.ROOT);
  }

  private void write(String path, byte[] content, String mode, List<String> report)
      throws IOException {
    Path target = root.resolve(path);
    if (Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)
        && java.util.Arrays.equals(Files.readAllBytes(target), content)
        && PosixFilePermissions.toString(Files.getPosixFilePermissions(target)).equals(mode)) {
      report.add("/" + path + " is up to date");
      return;
    }
    Files.createDirectories(target.getParent());
    Path tmp = target.resolveSibling(".loginwarden-tmp-" + target.getFileName());
    Files.write(tmp, content);
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString(mode));
    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    report.add("installed /" + path);
  }

  private void remove(String path, List<String> report) throws IOException {
    if (Files.deleteIfExists(root.resolve(path))) {
      report.add("removed /" + path);
    }
  }

  private static void removeIfEmpty(Path dir) throws IOException {
    if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      try (var left = Files.list(dir)) {
        if (left.findAny().isEmpty()) {
          Files.delete(dir);
        }
      }
    }
  }

  /** Deletes a directory tree without following symbolic links out of it. */
  private static boolean deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      try (var children = Files.list(dir)) {
        for (Path child : children.toList()) {
          deleteTree(child);
        }
      }
    }
    Files.delete(dir);
    return true;
  }

  static byte[] resource(String name) throws IOException {
    try (InputStream in = Installer.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IOException("this jar lacks " + name + ": build it with mvn package");
      }
      return in.readAllBytes();
    }
  }

  /** Whether {@code path} is a regular file holding exactly what install would write. */
  private boolean holds(String path, Item item) throws IOException {
    Path file = root.resolve(path);
    return Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
        && java.util.Arrays.equals(Files.readAllBytes(file), resource(item.resource()));
  }

  /** Writes a file in place of the old one, keeping its mode, by temp file and rename. */
  private static void replace(Path file, String text) throws IOException {
    Path tmp = file.resolveSibling("." + file.getFileName() + ".loginwarden-tmp");
    Files.writeString(tmp, text, StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(tmp, Files.getPosixFilePermissions(file));
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
