package org.loginwarden.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.loginwarden.account.Commands;
import org.loginwarden.proc.ProcessInfo;
import org.loginwarden.proc.ProcfsProcessTable;

/**
 * {@code loginwarden demo}: shows loginwarden at work on a private sshd, without touching the
 * host's sshd or /etc/pam.d/sshd. Everything it makes carries the id of the run ({@code
 * lwdemoXXXXXX} users, {@code /etc/pam.d/sshd-lwdemoXXXXXX}, {@code /tmp/loginwarden-demo-XXXXXX})
 * and is removed at the end, on Ctrl-C by a shutdown hook, and after a run killed outright by
 * the next run.
 */
public final class Demo {

  static final String USER_PREFIX = "lwdemo";
  static final String GECOS = "loginwarden demo user";
  static final Path TMP = Path.of("/tmp");
  private static final Pattern ID = Pattern.compile("[0-9a-f]{6}");
  private static final Pattern DIR_NAME = Pattern.compile("loginwarden-demo-([0-9a-f]{6})");
  private static final Duration STEP_LIMIT = Duration.ofSeconds(30);
  private static final Duration COMMAND_LIMIT = Duration.ofSeconds(60);
  private static final String PATH = "/usr/sbin:/usr/bin:/sbin:/bin";
  /** What the demo needs of the host: openssh-server and the shadow tools. */
  static final List<Path> NEEDS = List.of(SandboxSshd.SSHD, Path.of("/usr/bin/ssh"),
      SandboxSshd.SSH_KEYGEN, SandboxSshd.HOST_PAM, Path.of("/usr/sbin/useradd"),
      Path.of("/usr/sbin/userdel"), Path.of("/usr/sbin/chpasswd"));

  private final PrintWriter out;
  private final List<String> loginwarden;
  private final String id = HexFormat.of().formatHex(new SecureRandom().generateSeed(3));
  private final String user = USER_PREFIX + id;
  private final String service = "sshd-" + USER_PREFIX + id;
  private final Path dir = TMP.resolve("loginwarden-demo-" + id);
  private final Path config = dir.resolve("loginwarden.conf");
  private final Path audit = dir.resolve("audit.jsonl");
  private final Path key = dir.resolve("id_ed25519");
  private final ObjectMapper json = new ObjectMapper();
  private final List<Process> clients = new ArrayList<>();
  private SandboxSshd sshd;
  private boolean userCreated;
  private boolean cleanedUp;
  private int auditShown;

  /**
   * @param loginwarden how to run this loginwarden ({@code java -cp JAR org.loginwarden.cli.Main}):
   *                    sshd's hooks and the unlock step use it
   */
  public Demo(PrintWriter out, List<String> loginwarden) {
    this.out = out;
    this.loginwarden = List.copyOf(loginwarden);
  }

  /** The host lacks something the demo needs: a line saying what, or null. */
  public static String missing() {
    for (Path p : NEEDS) {
      if (!Files.exists(p)) {
        return p + " is missing" + (p.toString().contains("ssh")
            ? " (apt-get install openssh-server openssh-client)" : "");
      }
    }
    return null;
  }

  /** Runs the walk-through; cleans up whatever happens. Throws on a step that went wrong. */
  public void run() throws IOException, InterruptedException {
    removeLeftovers();
    Thread hook = new Thread(this::cleanUp, "loginwarden-demo-cleanup");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      setUp();
      walkThrough();
    } finally {
      cleanUp();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // Shutting down already: the hook runs cleanUp, which is done and returns at once.
      }
    }
  }

  private void setUp() throws IOException {
    String hook = String.join(" ", loginwarden) + " --config " + config + " pam";
    if (hook.contains("\n") || loginwarden.stream().anyMatch(a -> a.contains(" "))) {
      throw new IOException("pam_exec cannot run a command whose paths contain spaces: " + hook);
    }
    synchronized (this) {
      checkNotClosed();
      Files.createDirectory(dir,
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
      Files.writeString(config, String.join("\n",
          "# loginwarden demo: its own service, state and audit log; the defaults otherwise,",
          "# but two violations within 10 minutes lock (default 3).",
          "services = " + service,
          "state_dir = " + dir.resolve("state"),
          "run_dir = " + dir.resolve("run"),
          "audit_log = " + audit,
          "log_file = " + dir.resolve("loginwarden.log"),
          "violations = 2",
          "kill_grace = 1s", ""));
      userCreated = true;
      ok(run(List.of("/usr/sbin/useradd", "-m", "-c", GECOS, "-s", "/bin/sh", user), null),
          "useradd");
      // A password, never shown: an account with none cannot be unlocked by usermod -U.
      String password = HexFormat.of().formatHex(new SecureRandom().generateSeed(12));
      ok(run(List.of("/usr/sbin/chpasswd"), user + ":" + password + "\n"), "chpasswd");
      ok(run(List.of(SandboxSshd.SSH_KEYGEN.toString(), "-q", "-t", "ed25519", "-N", "", "-C",
          user, "-f", key.toString()), null), "ssh-keygen");
      Path ssh = Path.of("/home", user, ".ssh");
      Files.createDirectories(ssh);
      Files.copy(Path.of(key + ".pub"), ssh.resolve("authorized_keys"));
      ok(run(List.of("/bin/chown", "-R", user + ":" + user, ssh.toString()), null), "chown");
      Files.setPosixFilePermissions(ssh, PosixFilePermissions.fromString("rwx------"));
      sshd = SandboxSshd.start(dir, service, hook, false, List.of());
    }
    out.printf("loginwarden demo: a private sshd on 127.0.0.1 port %d, PAM service %s%n",
        sshd.port(), service);
    out.printf("  (/etc/pam.d/%s is a copy of /etc/pam.d/sshd with loginwarden's lines; the "
        + "host's sshd and /etc/pam.d/sshd are not touched)%n", service);
    out.printf("  user %s (key and password), config, state and audit log in %s%n", user, dir);
    out.println("  policy: max_sessions = 1, on_violation = kick_all, violations = 2 within 10m");
    out.flush();
  }

  private void walkThrough() throws IOException, InterruptedException {
    step(1, "A login: ssh " + user + "@127.0.0.1 'echo hello'");
    Result first = ssh("echo hello from $(hostname)");
    client("ssh", first);
    awaitAudit(r -> event(r, "close"));

    for (int violation = 1; violation <= 2; violation++) {
      step(1 + violation, violation == 1
          ? "A second login while the first is live: loginwarden ends both"
          : "Once more: the 2nd violation within 10 minutes also locks the account");
      out.println("      a first login holds a shell (ssh ... 'exec sleep 600'):");
      Process holder = start("exec sleep 600");
      awaitAudit(r -> event(r, "open"));
      out.println("      now a second login:");
      Result second = ssh("echo second login ran");
      client("second ssh", second);
      if (!holder.waitFor(STEP_LIMIT.toSeconds(), TimeUnit.SECONDS)) {
        throw new IOException("the first login was not ended within " + STEP_LIMIT.toSeconds()
            + " s");
      }
      out.printf("      first ssh: disconnected (exit %d)%n", holder.exitValue());
      String expected = violation == 2 ? "lock" : "kick";
      awaitAudit(r -> event(r, expected));
    }

    step(4, "A key login while the account is locked");
    out.println("      locked with usermod -L -e 1, and refused by loginwarden's account line:"
        + " keys too");
    client("ssh", ssh("echo should not run"));
    awaitAudit(r -> event(r, "refuse"));

    step(5, "An admin lifts the lock: loginwarden unlock " + user);
    List<String> unlock = new ArrayList<>(loginwarden);
    unlock.addAll(List.of("--config", config.toString(), "unlock", user));
    Result r = run(unlock, null);
    out.printf("      $ loginwarden unlock %s%n", user);
    r.out().lines().forEach(l -> out.println("      " + l));
    ok(r, "loginwarden unlock");
    awaitAudit(a -> event(a, "unlock"));

    step(6, "A login works again");
    client("ssh", ssh("echo hello again"));
    awaitAudit(a -> event(a, "close"));
  }

  private void step(int n, String what) {
    out.printf("%n[%d/6] %s%n", n, what);
    out.flush();
  }

  /** Prints the client's exit status and what it was told (loginwarden's line, not the MOTD). */
  private void client(String name, Result r) {
    String all = (r.out() + r.err()).strip();
    String said = all.lines().filter(l -> l.startsWith("loginwarden:")).findFirst()
        .orElse(all.lines().findFirst().orElse(""));
    out.printf("      %s: exit %d%s%n", name, r.exit(), said.isEmpty() ? "" : ", said: " + said);
    out.flush();
  }

  private boolean event(JsonNode r, String event) {
    return r.path("event").asText().equals(event) && r.path("user").asText().equals(user);
  }

  /**
   * Waits (bounded) until a record not yet shown matches, then shows every new record: what
   * the hooks decided, as the audit log has it.
   */
  private void awaitAudit(Predicate<JsonNode> until) throws IOException, InterruptedException {
    long limit = System.nanoTime() + STEP_LIMIT.toNanos();
    List<JsonNode> records;
    while (true) {
      records = auditRecords();
      if (records.stream().skip(auditShown).anyMatch(until)) {
        break;
      }
      if (System.nanoTime() - limit > 0) {
        throw new IOException("the audit log did not show the expected record within "
            + STEP_LIMIT.toSeconds() + " s");
      }
      Thread.sleep(100);
    }
    // The close of a session ended by a kick can trail its kick by a moment: show it too.
    Thread.sleep(300);
    records = auditRecords();
    for (JsonNode r : records.subList(auditShown, records.size())) {
      String from = r.path("rhost").asText("");
      out.printf("      audit: %-9s %s%s: %s%s%n", r.path("event").asText(),
          r.path("user").asText(), from.isEmpty() ? "" : " from " + from,
          r.path("reason").asText(), r.path("by").asText().equals("loginwarden")
              || r.path("reason").asText().contains(" by ") ? ""
              : " (by " + r.path("by").asText() + ")");
    }
    auditShown = records.size();
    out.flush();
  }

  private List<JsonNode> auditRecords() throws IOException {
    List<JsonNode> out = new ArrayList<>();
    if (!Files.exists(audit)) {
      return out;
    }
    for (String line : Files.readAllLines(audit, StandardCharsets.UTF_8)) {
      try {
        out.add(json.readTree(line));
      } catch (IOException e) {
        // A line being written: read again at the next poll.
      }
    }
    return out;
  }

  private List<String> sshCommand(String command) {
    return List.of("/usr/bin/ssh", "-F", "/dev/null", "-p", Integer.toString(sshd.port()),
        "-i", key.toString(), "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
        "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
        "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=20", user + "@127.0.0.1", command);
  }

  private Result ssh(String command) throws IOException {
    return run(sshCommand(command), null);
  }

  private Process start(String command) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(sshCommand(command))
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(ProcessBuilder.Redirect.DISCARD);
    pb.environment().clear();
    pb.environment().put("PATH", PATH);
    synchronized (this) {
      checkNotClosed();
      Process p = pb.start();
      clients.add(p);
      return p;
    }
  }

  record Result(int exit, String out, String err) {}

  /** Runs a program by absolute path with a fixed environment, bounded. */
  private Result run(List<String> command, String stdin) throws IOException {
    Path input = null;
    ProcessBuilder pb = new ProcessBuilder(command).directory(new File("/"));
    pb.environment().clear();
    pb.environment().put("PATH", PATH);
    if (stdin != null) {
      input = Files.createTempFile(dir, "stdin", "");
      Files.writeString(input, stdin);
      pb.redirectInput(input.toFile());
    } else {
      pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    }
    Path outFile = Files.createTempFile(dir, "out", "");
    Path errFile = Files.createTempFile(dir, "err", "");
    pb.redirectOutput(outFile.toFile()).redirectError(errFile.toFile());
    try {
      Process p = pb.start();
      if (!p.waitFor(COMMAND_LIMIT.toSeconds(), TimeUnit.SECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        throw new IOException(command.get(0) + " did not finish within "
            + COMMAND_LIMIT.toSeconds() + " s");
      }
      return new Result(p.exitValue(), Files.readString(outFile), Files.readString(errFile));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    } finally {
      Files.deleteIfExists(outFile);
      Files.deleteIfExists(errFile);
      if (input != null) {
        Files.deleteIfExists(input);
      }
    }
  }

  private static void ok(Result r, String what) throws IOException {
    if (r.exit() != 0) {
      String said = (r.err() + r.out()).strip().lines().findFirst().orElse("");
      throw new IOException(what + " exited " + r.exit() + (said.isEmpty() ? "" : ": " + said));
    }
  }

  private void checkNotClosed() throws IOException {
    if (cleanedUp) {
      throw new IOException("interrupted");
    }
  }

  /** Removes everything this run made; safe to call twice, and from the shutdown hook. */
  synchronized void cleanUp() {
    if (cleanedUp) {
      return;
    }
    cleanedUp = true;
    List<String> removed = new ArrayList<>();
    for (Process c : clients) {
      c.destroyForcibly();
    }
    if (sshd != null) {
      try {
        sshd.close();
      } catch (IOException e) {
        out.println("loginwarden: cannot remove " + sshd.pamFile() + ": " + e.getMessage());
      }
      removed.add("the sshd");
    }
    removed.addAll(removeRun(id, userCreated));
    out.println();
    out.println("Cleanup: removed " + String.join(", ", removed) + ".");
    out.flush();
  }

  /**
   * Removes what the run with this id made, whether it is this run or an earlier one that was
   * killed: its sshd (found by its pid file and checked by its program name), the user's
   * processes, the user and home, the PAM service, the directory.
   */
  static List<String> removeRun(String id, boolean userMayExist) {
    List<String> removed = new ArrayList<>();
    Path dir = TMP.resolve("loginwarden-demo-" + id);
    // sshd (its program is DIR/sshd-lwdemoID, its children are titled sshd-lwdemoID: ...),
    // the hooks it ran (--config DIR/...) and the ssh clients (lwdemoID@127.0.0.1).
    int killed = killProcessesMentioning(List.of(USER_PREFIX + id, dir.getFileName().toString()));
    if (killed > 0) {
      removed.add(killed + " process(es) of its sshd");
    }
    String user = USER_PREFIX + id;
    if (userMayExist && isDemoUser(user)) {
      killProcessesOf(user);
      try {
        Commands.Result r = Commands.run(Duration.ofSeconds(30), Path.of("/usr/sbin/userdel"),
            "-r", "-f", user);
        if (r.exitCode() == 0 || r.exitCode() == 12) { // 12: home could not be removed
          removed.add("user " + user + " and its home");
        }
      } catch (IOException e) {
        // Reported by the IT and the next run, which tries again.
      }
    }
    try {
      if (Files.deleteIfExists(SandboxSshd.HOST_PAM.resolveSibling("sshd-" + USER_PREFIX + id))) {
        removed.add("/etc/pam.d/sshd-" + USER_PREFIX + id);
      }
      if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
        Commands.run(Duration.ofSeconds(30), Path.of("/bin/rm"), "-rf", "--one-file-system",
            dir.toString());
        removed.add(dir.toString());
      }
    } catch (IOException e) {
      // As above.
    }
    return removed;
  }

  /** A demo user: our prefix and id, and our GECOS, so an admin's own account never is. */
  static boolean isDemoUser(String name) {
    try {
      return Files.readAllLines(Path.of("/etc/passwd")).stream()
          .anyMatch(l -> l.startsWith(name + ":") && l.split(":", -1).length >= 5
              && l.split(":", -1)[4].equals(GECOS));
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Kills, until none is left (bounded), every process whose command line contains one of
   * the run's own names; returns how many there were.
   */
  static int killProcessesMentioning(List<String> needles) {
    java.util.Set<Long> seen = new java.util.HashSet<>();
    long self = ProcessHandle.current().pid();
    for (int i = 0; i < 100; i++) {
      List<ProcessHandle> left = ProcessHandle.allProcesses()
          .filter(h -> h.pid() != self && mentions(h.pid(), needles)).toList();
      if (left.isEmpty()) {
        break;
      }
      for (ProcessHandle h : left) {
        seen.add(h.pid());
        h.destroyForcibly();
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return seen.size();
  }

  private static boolean mentions(long pid, List<String> needles) {
    try {
      String cmdline = Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"),
          StandardCharsets.ISO_8859_1);
      return needles.stream().anyMatch(cmdline::contains);
    } catch (IOException | java.io.UncheckedIOException e) {
      return false;
    }
  }

  private static void killProcessesOf(String user) {
    long uid;
    try {
      uid = Files.readAllLines(Path.of("/etc/passwd")).stream()
          .filter(l -> l.startsWith(user + ":")).map(l -> Long.parseLong(l.split(":")[2]))
          .findFirst().orElse(-1L);
    } catch (IOException | NumberFormatException e) {
      return;
    }
    if (uid <= 0) {
      return;
    }
    ProcfsProcessTable table = new ProcfsProcessTable(Path.of("/proc"));
    for (int i = 0; i < 50; i++) {
      List<ProcessInfo> left = table.all().stream()
          .filter(p -> p.uid() == uid && !p.isZombie()).toList();
      if (left.isEmpty()) {
        return;
      }
      left.forEach(p -> table.signal(p, true));
      try {
        Thread.sleep(40);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** What earlier runs that were killed outright left behind, found by their ids. */
  static List<String> leftoverIds() throws IOException {
    java.util.Set<String> ids = new java.util.TreeSet<>();
    try (DirectoryStream<Path> d = Files.newDirectoryStream(TMP)) {
      for (Path p : d) {
        var m = DIR_NAME.matcher(p.getFileName().toString());
        if (m.matches()) {
          ids.add(m.group(1));
        }
      }
    }
    try (DirectoryStream<Path> d = Files.newDirectoryStream(SandboxSshd.HOST_PAM.getParent(),
        "sshd-" + USER_PREFIX + "*")) {
      for (Path p : d) {
        String rest = p.getFileName().toString().substring(("sshd-" + USER_PREFIX).length());
        if (ID.matcher(rest).matches()) {
          ids.add(rest);
        }
      }
    }
    for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
      String name = line.split(":", 2)[0];
      if (name.startsWith(USER_PREFIX) && ID.matcher(name.substring(USER_PREFIX.length()))
          .matches() && isDemoUser(name)) {
        ids.add(name.substring(USER_PREFIX.length()));
      }
    }
    return new ArrayList<>(ids);
  }

  private void removeLeftovers() throws IOException {
    for (String old : leftoverIds()) {
      List<String> removed = removeRun(old, true);
      if (!removed.isEmpty()) {
        out.println("Removed what an interrupted demo left: " + String.join(", ", removed)
            + ".");
      }
    }
  }
}
