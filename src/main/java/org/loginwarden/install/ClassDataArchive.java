package org.loginwarden.install;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The class-data archive the launcher ({@code pam/loginwarden}) hands the JVM: the classes a
 * hook call loads, parsed, verified and laid out once at install time instead of on every login.
 *
 * <p>Made by running the real commands (the hook's account, open_session and close_session, and
 * status) against a scratch configuration and state directory, each with
 * {@code -XX:DumpLoadedClassList}, then {@code -Xshare:dump} over the union of those lists. The
 * JVM checks the archive against itself and the jar at every start and runs without one made for
 * another, so a stale archive costs time, never correctness: {@link #usable} asks the JVM.
 */
public final class ClassDataArchive {

  public static final Path JAVA = Path.of("/usr/bin/java");
  public static final Path ARCHIVE = Path.of("/var/cache/loginwarden/loginwarden.jsa");

  /** Install is no login path, but nothing here may hang it either. */
  private static final Duration STEP_TIMEOUT = Duration.ofSeconds(120);
  private static final String[] HOOK_CALLS = {"account", "open_session", "close_session"};
  private static final Pattern CLASS_ID = Pattern.compile(" id: [0-9]+$");
  /**
   * The launcher's heap size (pam/loginwarden): dumped for the same heap, the archive's
   * pre-built objects map without relocation (measured: 2.5 ms of a 68 ms hook call).
   */
  static final String MAX_HEAP = "-Xmx64m";

  private final Path java;
  private final Path jar;
  private final Path archive;

  public ClassDataArchive(Path java, Path jar, Path archive) {
    this.java = java;
    this.jar = jar;
    this.archive = archive;
  }

  /** True when this JVM maps the archive for this jar: with -Xshare:on it refuses otherwise. */
  public boolean usable() throws IOException {
    if (!Files.isRegularFile(archive)) {
      return false;
    }
    return run(List.of(java.toString(), "-Xshare:on", "-XX:SharedArchiveFile=" + archive,
        "-Xlog:disable", "-cp", jar.toString(), "-version"), Map.of(), null) == 0;
  }

  /** Makes the archive anew; the old one stays in place until the new one is complete. */
  public void generate() throws IOException {
    Path work = Files.createTempDirectory("loginwarden-archive",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    try {
      Path config = work.resolve("loginwarden.conf");
      Files.writeString(config, "state_dir = " + work.resolve("state") + "\n"
          + "run_dir = " + work.resolve("run") + "\n"
          + "audit_log = " + work.resolve("audit.log") + "\n"
          + "log_file = " + work.resolve("loginwarden.log") + "\n"
          + "services = sshd\n", StandardCharsets.UTF_8);
      Set<String> classes = new LinkedHashSet<>();
      int n = 0;
      for (String type : HOOK_CALLS) {
        // The training session is this process: open records it, close removes it.
        classes.addAll(loadedClasses(work.resolve("classes-" + n++), config,
            Map.of("PAM_TYPE", type, "PAM_USER", "loginwarden-training", "PAM_SERVICE", "sshd",
                "PAM_RHOST", "192.0.2.1", "PAM_TTY", "ssh"), "pam"));
      }
      classes.addAll(loadedClasses(work.resolve("classes-" + n), config, Map.of(), "status"));

      Path list = work.resolve("classes");
      Files.write(list, classes, StandardCharsets.UTF_8);
      Files.createDirectories(archive.getParent());
      Path fresh = archive.resolveSibling("." + archive.getFileName() + ".new");
      Files.deleteIfExists(fresh);
      int exit = run(List.of(java.toString(), "-Xshare:dump", MAX_HEAP,
          "-XX:SharedClassListFile=" + list, "-XX:SharedArchiveFile=" + fresh,
          "-cp", jar.toString()), Map.of(), work.resolve("dump.log"));
      if (exit != 0 || !Files.isRegularFile(fresh)) {
        throw new IOException("-Xshare:dump failed (exit " + exit + "): "
            + lastLine(work.resolve("dump.log")));
      }
      Files.setPosixFilePermissions(fresh, PosixFilePermissions.fromString("rw-r--r--"));
      Files.move(fresh, archive, StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
    } finally {
      deleteTree(work);
    }
  }

  /** The class list of one run of the jar, without its comment lines. */
  private List<String> loadedClasses(Path list, Path config, Map<String, String> env,
      String command) throws IOException {
    Path log = list.resolveSibling(list.getFileName() + ".log");
    int exit = run(List.of(java.toString(), "-XX:DumpLoadedClassList=" + list, "-Xshare:auto",
        "-jar", jar.toString(), "--config", config.toString(), command), env, log);
    if (exit != 0 || !Files.isRegularFile(list)) {
      throw new IOException("training run '" + command + " " + env.getOrDefault("PAM_TYPE", "")
          + "' failed (exit " + exit + "): " + lastLine(log));
    }
    List<String> out = new ArrayList<>();
    for (String line : Files.readAllLines(list, StandardCharsets.UTF_8)) {
      if (!line.isBlank() && !line.startsWith("#")) {
        // Newer JDKs number each class for references that only classes of custom loaders
        // make, which these runs have none of; unnumbered, lists of several runs merge.
        out.add(CLASS_ID.matcher(line).replaceFirst(""));
      }
    }
    return out;
  }

  /** Runs with a cleared environment plus {@code env}, output to {@code log} or discarded. */
  private static int run(List<String> command, Map<String, String> env, Path log)
      throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectErrorStream(true)
        .redirectOutput(log == null ? ProcessBuilder.Redirect.DISCARD
            : ProcessBuilder.Redirect.to(log.toFile()));
    pb.environment().clear();
    pb.environment().put("LC_ALL", "C.UTF-8");
    pb.environment().putAll(env);
    pb.directory(new File("/"));
    Process p = pb.start();
    try {
      if (!p.waitFor(STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new IOException(command.get(0) + " did not finish within "
            + STEP_TIMEOUT.toSeconds() + " s");
      }
      return p.exitValue();
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while making the class-data archive");
    }
  }

  private static String lastLine(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      for (int i = lines.size() - 1; i >= 0; i--) {
        if (!lines.get(i).isBlank()) {
          return lines.get(i).strip();
        }
      }
    } catch (IOException e) {
      // no log: say so below
    }
    return "no output";
  }

  private static void deleteTree(Path dir) throws IOException {
    try (var walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
