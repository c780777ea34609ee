package org.loginwarden.doctor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.loginwarden.account.Commands;
import org.loginwarden.config.Config;
import org.loginwarden.config.ConfigException;
import org.loginwarden.config.ConfigParser;
import org.loginwarden.config.Overrides;
import org.loginwarden.core.Lock;
import org.loginwarden.install.ClassDataArchive;
import org.loginwarden.install.Installer;
import org.loginwarden.install.PamStack;
import org.loginwarden.store.FileStateStore;
import org.loginwarden.store.StoreException;

/**
 * Checks how loginwarden is wired into a machine, or into the tree under {@code root}: every
 * path it reads ({@code etc}, {@code proc}, {@code usr}, {@code var}, the config's directories)
 * is taken under root, so that each check can be broken in a scratch tree and seen to fail.
 * Programs run by absolute path, with a time limit: {@code /usr/sbin/sshd -T -f
 * ROOT/etc/ssh/sshd_config}, {@code ROOT/usr/bin/java -version}, and on the running system
 * {@code /usr/bin/systemctl is-active}.
 */
public final class Doctor {

  public enum Status { OK, WARN, FAIL }

  /** One line of the report: what was checked, how it went, and what to do about it. */
  public record Check(String name, Status status, String message, String fix) {}

  static final Path SSHD = Path.of("/usr/sbin/sshd");
  static final Path SYSTEMCTL = Path.of("/usr/bin/systemctl");
  static final Duration PROGRAM_TIMEOUT = Duration.ofSeconds(10);
  static final String UNSET_ID = "4294967295";
  private static final Pattern JAVA_VERSION = Pattern.compile("version \"(1\\.)?(\\d+)");
  private static final Pattern WATCHER = Pattern.compile(".*loginwarden.*\\s(watch|sweep)(\\s.*)?");

  private final Path root;
  private final Path configFile;
  private final Clock clock;

  /**
   * @param configFile the config as named on the command line, or null for the default path
   *                   under root
   */
  public Doctor(Path root, Path configFile, Clock clock) {
    this.root = root;
    this.configFile = configFile;
    this.clock = clock;
  }

  public List<Check> run() {
    List<Check> out = new ArrayList<>();
    Config config;
    Check configCheck;
    try {
      config = loadConfig();
      configCheck = ok("config", configMessage());
    } catch (ConfigException e) {
      config = ConfigParser.defaults();
      configCheck = fail("config", e.getMessage(), "fix that line; until then the checks "
          + "below use the built-in defaults, and the hook answers on_error");
    }
    out.add(configCheck);
    out.addAll(guard("sshd", this::sshd));
    out.add(guard1("pam", this::pam));
    out.add(guard1("audit-session-ids", this::auditSessionIds));
    Config c = config;
    out.add(guard1("state-dirs", () -> stateDirs(c)));
    out.add(guard1("java", this::java));
    out.add(guard1("class-data-archive", this::classDataArchive));
    out.add(guard1("watcher", () -> watcher(c)));
    out.add(guard1("locks", () -> locks(c)));
    if (c.fleet() != null) {
      out.addAll(guard("fleet", () -> fleet(c)));
    }
    return out;
  }

  // --- sshd -T ---

  List<Check> sshd() throws IOException {
    if (!Files.isExecutable(SSHD)) {
      return List.of(fail("sshd", SSHD + " is missing", "apt-get install openssh-server"));
    }
    Commands.Result r = Commands.run(PROGRAM_TIMEOUT, SSHD, "-T", "-f",
        under(Installer.SSHD_CONFIG).toString());
    if (r.exitCode() != 0) {
      return List.of(fail("sshd", "sshd -T failed: " + r.firstErrorLine(),
          "fix /etc/ssh/sshd_config until sshd -t is quiet"));
    }
    Map<String, String> settings = new LinkedHashMap<>();
    r.stdout().lines().forEach(l -> {
      String[] kv = l.split(" ", 2);
      settings.putIfAbsent(kv[0], kv.length > 1 ? kv[1] : "");
    });
    String usePam = settings.getOrDefault("usepam", "?");
    String maxSessions = settings.getOrDefault("maxsessions", "?");
    return List.of(
        usePam.equals("yes") ? ok("sshd-usepam", "sshd -T: usepam yes")
            : fail("sshd-usepam", "sshd -T: usepam " + usePam + ": sshd never calls loginwarden",
                "set UsePAM yes in /etc/ssh/sshd_config, then systemctl reload ssh"),
        maxSessions.equals("1") ? ok("sshd-maxsessions", "sshd -T: maxsessions 1")
            : fail("sshd-maxsessions", "sshd -T: maxsessions " + maxSessions
                + ": one connection can multiplex several shells in one counted login",
                "loginwarden install adds MaxSessions 1 in /etc/ssh/sshd_config.d/; or set it "
                    + "in /etc/ssh/sshd_config; then systemctl reload ssh"));
  }

  // --- /etc/pam.d/sshd ---

  Check pam() throws IOException {
    Path file = under(Installer.PAM);
    if (!Files.isRegularFile(file)) {
      return fail("pam", "no /" + Installer.PAM, "apt-get install openssh-server, then "
          + "loginwarden install");
    }
    String text = Files.readString(file, StandardCharsets.UTF_8);
    List<String> problems = new ArrayList<>(PamStack.problems(text));
    for (String program : PamStack.hookPrograms(text)) {
      Path p = under(program);
      if (!Files.isRegularFile(p) || !Files.isExecutable(p)) {
        problems.add(program + " is missing or not executable: every SSH session is refused");
      }
    }
    if (problems.isEmpty()) {
      return ok("pam", "/" + Installer.PAM + ": account line before common-account, session "
          + "line after pam_loginuid");
    }
    return fail("pam", "/" + Installer.PAM + ": " + String.join("; ", problems),
        "loginwarden install (it puts the lines in place; see pam/sshd)");
  }

  // --- audit session ids ---

  Check auditSessionIds() throws IOException {
    Path sessionId = under("proc/self/sessionid");
    if (!Files.exists(sessionId)) {
      return fail("audit-session-ids", "no /proc/self/sessionid: this kernel has no audit "
          + "support, so escaped processes of a session cannot be found by its id",
          "use a kernel with CONFIG_AUDIT (every Debian and Ubuntu kernel has it)");
    }
    String cmdline = readOr(under("proc/cmdline"), "");
    if (List.of(cmdline.strip().split("\\s+")).contains("audit=0")) {
      return fail("audit-session-ids", "the kernel was booted with audit=0",
          "remove audit=0 from the kernel command line (GRUB_CMDLINE_LINUX) and reboot");
    }
    String loginUid = readOr(under("proc/self/loginuid"), UNSET_ID).strip();
    String id = Files.readString(sessionId, StandardCharsets.US_ASCII).strip();
    if (loginUid.equals(UNSET_ID)) {
      return warn("audit-session-ids", "not run from a login session: cannot tell whether "
          + "logins get an audit session id", "run loginwarden doctor from an SSH login "
          + "(sudo keeps the id)");
    }
    if (id.equals(UNSET_ID)) {
      return fail("audit-session-ids", "this login has a login uid but no audit session id",
          "make sure /etc/pam.d/sshd has 'session required pam_loginuid.so' and audit is on");
    }
    return ok("audit-session-ids", "this login has audit session id " + id);
  }

  // --- state directories ---

  Check stateDirs(Config c) throws IOException {
    List<String> problems = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    for (Path dir : List.of(c.stateDir(), c.runDir(), c.auditLog().getParent())) {
      Path d = under(dir.toString());
      PosixFileAttributes a;
      try {
        a = Files.readAttributes(d, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      } catch (NoSuchFileException e) {
        missing.add(dir.toString());
        continue;
      }
      int uid = (Integer) Files.getAttribute(d, "unix:uid", LinkOption.NOFOLLOW_LINKS);
      if (a.isSymbolicLink()) {
        problems.add(dir + " is a symbolic link");
      } else if (!a.isDirectory()) {
        problems.add(dir + " is not a directory");
      } else if (uid != 0) {
        problems.add(dir + " is owned by uid " + uid + ", not root");
      } else if (a.permissions().contains(PosixFilePermission.GROUP_WRITE)
          || a.permissions().contains(PosixFilePermission.OTHERS_WRITE)) {
        problems.add(dir + " is writable by group or others");
      }
    }
    if (!problems.isEmpty()) {
      return fail("state-dirs", String.join("; ", problems) + ": the hook refuses to use it",
          "rm the link or chown root:root and chmod 0700 the directory");
    }
    if (!missing.isEmpty()) {
      return warn("state-dirs", "missing: " + String.join(", ", missing) + " (created at the "
          + "first login)", "loginwarden install, or systemd-tmpfiles --create loginwarden.conf");
    }
    return ok("state-dirs", "state, run and log directories exist, root's, 0700-safe");
  }

  // --- config ---

  private Config loadConfig() throws ConfigException {
    return configFile != null ? ConfigParser.load(configFile, false)
        : ConfigParser.load(under(Installer.CONFIG), true);
  }

  private String configMessage() {
    Path file = configFile != null ? configFile : under(Installer.CONFIG);
    return Files.exists(file) ? file + " parses" : "no " + file + ": the built-in defaults apply";
  }

  // --- java ---

  Check java() throws IOException {
    Path java = under("usr/bin/java");
    if (!Files.isExecutable(java)) {
      return fail("java", "no /usr/bin/java", "apt-get install openjdk-17-jre-headless");
    }
    Commands.Result r = Commands.run(PROGRAM_TIMEOUT, java, "-version");
    Matcher m = JAVA_VERSION.matcher(r.stderr() + r.stdout());
    if (r.exitCode() != 0 || !m.find()) {
      return fail("java", "/usr/bin/java -version: " + r.firstErrorLine(),
          "apt-get install openjdk-17-jre-headless");
    }
    int major = Integer.parseInt(m.group(2));
    if (major < 17) {
      return fail("java", "/usr/bin/java is Java " + major + "; loginwarden needs 17 or later",
          "apt-get install openjdk-17-jre-headless; update-alternatives --config java");
    }
    return ok("java", "/usr/bin/java is Java " + major);
  }

  /** The launcher's archive, checked by the JVM itself; without it a login is slower. */
  Check classDataArchive() throws IOException {
    if (!root.toAbsolutePath().normalize().equals(Path.of("/"))) {
      return ok("class-data-archive", "not checked under another root");
    }
    if (new ClassDataArchive(ClassDataArchive.JAVA, Path.of("/" + Installer.JAR),
        ClassDataArchive.ARCHIVE).usable()) {
      return ok("class-data-archive", ClassDataArchive.ARCHIVE + " fits the jar and the JVM");
    }
    return warn("class-data-archive", ClassDataArchive.ARCHIVE + " is missing or was made for "
        + "another jar or JVM: every hook call starts slower", "loginwarden install");
  }

  // --- watcher ---

  Check watcher(Config c) throws IOException {
    if (!hasTimeLimits(c)) {
      return ok("watcher", "no max_session_time or idle_timeout configured: no watcher needed");
    }
    String running = runningWatcher();
    if (running != null) {
      return ok("watcher", "time limits are enforced by " + running);
    }
    return fail("watcher", "max_session_time or idle_timeout is set but no watcher runs: "
        + "no session is ended for it", "systemctl enable --now loginwarden.service (or "
        + "loginwarden-sweep.timer, or loginwarden sweep in /etc/cron.d)");
  }

  static boolean hasTimeLimits(Config c) {
    List<Overrides> sections = new ArrayList<>(c.userSections().values());
    sections.addAll(c.groupSections().values());
    boolean inSection = sections.stream().anyMatch(o -> List.of("max_session_time",
        "idle_timeout").stream().anyMatch(k -> o.values().get(k) instanceof Duration d
            && !d.isZero()));
    return inSection || !c.maxSessionTime().isZero() || !c.idleTimeout().isZero();
  }

  /** The systemd unit, process or cron file that sweeps, or null. */
  private String runningWatcher() throws IOException {
    if (isRunningSystem() && Files.isDirectory(Path.of("/run/systemd/system"))
        && Files.isExecutable(SYSTEMCTL)) {
      for (String unit : List.of("loginwarden.service", "loginwarden-sweep.timer")) {
        if (Commands.run(PROGRAM_TIMEOUT, SYSTEMCTL, "is-active", "--quiet", unit)
            .exitCode() == 0) {
          return unit;
        }
      }
    }
    try (DirectoryStream<Path> procs = Files.newDirectoryStream(under("proc"), "[0-9]*")) {
      for (Path p : procs) {
        String cmdline = readOr(p.resolve("cmdline"), "").replace('\0', ' ');
        if (WATCHER.matcher(cmdline).matches()) {
          return "process " + p.getFileName() + " (" + cmdline.strip() + ")";
        }
      }
    } catch (NoSuchFileException e) {
      // No proc tree: nothing runs.
    }
    List<Path> cron = new ArrayList<>(List.of(under("etc/crontab")));
    if (Files.isDirectory(under("etc/cron.d"))) {
      try (DirectoryStream<Path> files = Files.newDirectoryStream(under("etc/cron.d"))) {
        files.forEach(cron::add);
      }
    }
    for (Path f : cron) {
      if (readOr(f, "").lines().anyMatch(l -> !l.strip().startsWith("#")
          && l.contains("loginwarden") && l.contains(" sweep"))) {
        return "cron (" + f + ")";
      }
    }
    return null;
  }

  // --- fleet mode ---

  /**
   * The database answers with this build's schema, this host's watcher reports, and which
   * hosts are presumed dead (their sessions no longer count).
   */
  List<Check> fleet(Config c) throws IOException {
    List<Check> out = new ArrayList<>();
    out.add(pendingAudit(c));
    org.loginwarden.store.FleetSchema.Status status;
    try {
      status = org.loginwarden.store.FleetSchema.status(c.fleet());
    } catch (org.loginwarden.store.StoreException e) {
      out.add(fail("fleet-database", e.getMessage(), "check db_url, db_user, "
          + "db_password_file and the server; loginwarden db init"));
      return out;
    }
    if (status.version() != org.loginwarden.store.FleetSchema.VERSION) {
      out.add(fail("fleet-database", c.fleet().safeUrl() + " has no loginwarden schema",
          "loginwarden db init"));
      return out;
    }
    out.add(ok("fleet-database", c.fleet().safeUrl() + ": schema " + status.version() + ", "
        + status.users() + " user(s) with state, " + status.kicks() + " kick(s) pending"));
    String self;
    try {
      self = c.fleet().resolveHostId(under("etc/machine-id"), c.onError());
    } catch (ConfigException e) {
      out.add(fail("fleet-heartbeat", e.getMessage(), "set host_id"));
      return out;
    }
    Duration timeout = c.fleet().hostTimeout();
    Duration mine = status.heartbeatAges().get(self);
    if (mine == null || mine.compareTo(timeout) >= 0) {
      out.add(fail("fleet-heartbeat", "host " + self + (mine == null ? " has never reported"
          : " last reported " + mine.toSeconds() + "s ago") + ": the fleet presumes it dead, "
          + "and kicks from other hosts wait for its next login",
          "systemctl enable --now loginwarden.service (fleet mode needs the watcher)"));
    } else {
      out.add(ok("fleet-heartbeat", "host " + self + " reported " + mine.toMillis() / 1000
          + "s ago"));
    }
    List<String> dead = status.heartbeatAges().entrySet().stream()
        .filter(e -> e.getValue().compareTo(timeout) >= 0 && !e.getKey().equals(self))
        .map(e -> e.getKey() + " (" + e.getValue().toSeconds() + "s)").toList();
    out.add(dead.isEmpty() ? ok("fleet-hosts", status.heartbeatAges().size()
        + " host(s) reporting within host_timeout")
        : warn("fleet-hosts", "presumed dead, their sessions not counted: "
            + String.join(", ", dead), "start their watchers, or retire them"));
    return out;
  }

  /** Audit lines kept on this host while the database was away, not yet in the fleet's. */
  Check pendingAudit(Config c) throws IOException {
    Path dir = under(c.stateDir().toString()).resolve("fleet-audit");
    long lines = 0;
    for (String name : List.of("pending.jsonl", "sending.jsonl")) {
      Path f = dir.resolve(name);
      if (Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
        try (java.io.InputStream in = Files.newInputStream(f,
            LinkOption.NOFOLLOW_LINKS)) {
          byte[] buf = new byte[8192];
          for (int n; (n = in.read(buf)) > 0; ) {
            for (int i = 0; i < n; i++) {
              lines += buf[i] == '\n' ? 1 : 0;
            }
          }
        }
      }
    }
    return lines == 0 ? ok("fleet-audit", "this host's audit lines are all in the fleet's trail")
        : warn("fleet-audit", lines + " audit line(s) of this host, kept while the database "
            + "was away, are not yet in the fleet's trail", "the watcher sends them on its next "
            + "pass once the database answers: systemctl status loginwarden.service");
  }

  // --- locks against /etc/shadow ---

  Check locks(Config c) throws IOException {
    Path stateDir = under(c.stateDir().toString());
    Path runDir = under(c.runDir().toString());
    if (!Files.isDirectory(stateDir.resolve("users")) || !Files.isDirectory(runDir)) {
      return ok("locks", "no state yet: nobody is locked");
    }
    Map<String, String[]> shadow = new LinkedHashMap<>();
    for (String line : readOr(under("etc/shadow"), "").split("\n")) {
      String[] f = line.split(":", -1);
      if (f.length >= 8) {
        shadow.put(f[0], f);
      }
    }
    List<String> problems = new ArrayList<>();
    int locked = 0;
    try {
      FileStateStore store = FileStateStore.open(stateDir, runDir, Duration.ofSeconds(1), false,
          clock, line -> { });
      for (String user : store.users()) {
        Lock lock = store.peek(user).lock();
        if (lock == null || lock.saved() == null || !lock.activeAt(clock.instant())) {
          continue; // Only a violation or admin lock is mirrored in /etc/shadow.
        }
        locked++;
        String[] entry = shadow.get(user);
        if (entry == null) {
          problems.add(user + " is not in /etc/shadow any more");
        } else if (!entry[1].startsWith("!") || !entry[7].equals("1")) {
          problems.add(user + " is locked by loginwarden but /etc/shadow lets them in "
              + "(password " + (entry[1].startsWith("!") ? "locked" : "not locked")
              + ", expiry '" + entry[7] + "')");
        }
      }
    } catch (StoreException e) {
      return fail("locks", "cannot read the store: " + e.getMessage(),
          "fix the state directories (see state-dirs)");
    }
    if (!problems.isEmpty()) {
      return fail("locks", String.join("; ", problems) + ": key logins still stop at the "
          + "account hook, but not where it is missing", "loginwarden unlock USER, then "
          + "loginwarden lock USER, to mirror the lock again");
    }
    return ok("locks", locked + " locked user(s), each locked and expired in /etc/shadow");
  }

  // --- helpers ---

  private boolean isRunningSystem() {
    return root.toAbsolutePath().normalize().equals(Path.of("/"));
  }

  /** {@code path} (absolute or relative) under root; never escapes it through "..". */
  Path under(String path) {
    Path p = root.resolve(path.replaceFirst("^/+", "")).normalize();
    if (!p.startsWith(root.normalize())) {
      throw new IllegalArgumentException("path outside " + root + ": " + path);
    }
    return p;
  }

  private static String readOr(Path file, String fallback) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException | RuntimeException e) {
      return fallback;
    }
  }

  private interface Probe {
    Check run() throws IOException;
  }

  private interface Probes {
    List<Check> run() throws IOException;
  }

  /** A check that cannot run is itself a failure, with the reason, never a stack trace. */
  private static Check guard1(String name, Probe probe) {
    return guard(name, () -> List.of(probe.run())).get(0);
  }

  private static List<Check> guard(String name, Probes probes) {
    try {
      return probes.run();
    } catch (IOException | RuntimeException e) {
      return List.of(fail(name, "cannot check: " + e, "see the message"));
    }
  }

  static Check ok(String name, String message) {
    return new Check(name, Status.OK, message, "");
  }

  static Check warn(String name, String message, String fix) {
    return new Check(name, Status.WARN, message, fix);
  }

  static Check fail(String name, String message, String fix) {
    return new Check(name, Status.FAIL, message, fix);
  }
}
