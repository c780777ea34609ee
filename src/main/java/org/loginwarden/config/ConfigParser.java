package org.loginwarden.config;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.loginwarden.core.Durations;
import org.loginwarden.core.OnViolation;

/**
 * Reads {@code /etc/security/loginwarden.conf}: {@code key = value} lines, {@code #} comment
 * lines, durations such as {@code 90s 10m 8h 1d}, lists separated by spaces or commas, and
 * {@code [user NAME]} / {@code [group NAME]} sections that override the per-user limits.
 * Every error names the file and line.
 */
public final class ConfigParser {

  private static final long MAX_FILE_BYTES = 1 << 20;
  /** The decision core keeps 100 violations per user: a higher threshold would never lock. */
  private static final int MAX_VIOLATIONS = 100;
  private static final Set<String> SECTION_KEYS = Set.of("max_sessions", "violations",
      "violation_window", "lock_time", "max_session_time", "idle_timeout", "warn_before",
      "auth_failures", "auth_failure_window", "auth_lockout", "backoff_threshold",
      "backoff_factor", "console_exempt");
  private static final java.util.regex.Pattern FLEET_NAME =
      java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  private static final java.util.regex.Pattern MAIL_ADDRESS = java.util.regex.Pattern.compile(
      "[A-Za-z0-9_+=.][A-Za-z0-9_+=.-]{0,63}(@[A-Za-z0-9]([A-Za-z0-9.-]{0,252}[A-Za-z0-9])?)?");
  /** The longest failure lockout network gear allows: 43,200 minutes (30 days). */
  private static final Duration MAX_AUTH_LOCKOUT = Duration.ofMinutes(43_200);

  /** The configuration when no file exists: the documented defaults. */
  public static Config defaults() {
    return new Builder().build();
  }

  /**
   * Loads a file. A missing file is the defaults only when {@code missingOk} (the default
   * path); a path the admin named must exist.
   */
  public static Config load(Path path, boolean missingOk) throws ConfigException {
    byte[] bytes;
    try {
      PosixFileAttributes attrs = Files.readAttributes(path, PosixFileAttributes.class);
      if (!attrs.isRegularFile()) {
        throw new ConfigException(path + ": not a regular file", OnError.OPEN);
      }
      if (attrs.size() > MAX_FILE_BYTES) {
        throw new ConfigException(path + ": larger than 1 MiB", OnError.OPEN);
      }
      Set<PosixFilePermission> perms = attrs.permissions();
      if (perms.contains(PosixFilePermission.GROUP_WRITE)
          || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
        // Whoever can write the file can exempt themselves: refuse it, as sshd's StrictModes.
        throw new ConfigException(path + ": writable by group or others; chmod go-w it",
            salvageOnError(Files.readAllBytes(path)));
      }
      bytes = Files.readAllBytes(path);
    } catch (NoSuchFileException e) {
      if (missingOk) {
        return defaults();
      }
      throw new ConfigException(path + ": no such file", OnError.OPEN);
    } catch (IOException e) {
      throw new ConfigException(path + ": cannot read: " + e.getMessage(), OnError.OPEN);
    }
    return parse(path.toString(), bytes);
  }

  /** Parses file contents; {@code name} is used in error messages. */
  public static Config parse(String name, byte[] bytes) throws ConfigException {
    String text;
    ByteBuffer in = ByteBuffer.wrap(bytes);
    try {
      text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(in).toString();
    } catch (CharacterCodingException e) {
      // The decoder stops at the bad bytes: name their line, and still honour an on_error
      // that a stray Latin-1 byte in a comment left readable.
      int line = 1;
      for (int i = 0; i < in.position(); i++) {
        line += bytes[i] == '\n' ? 1 : 0;
      }
      byte[] lenient = new String(bytes, StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_8);
      throw new ConfigException(name + ":" + line + ": not valid UTF-8",
          salvageOnError(lenient));
    }
    Builder b = new Builder();
    List<String> errors = new ArrayList<>();
    String[] lines = text.split("\n", -1);
    Overrides section = null;
    // Where each time limit was set ("" for global, else "user NAME"), for cross-key errors.
    Map<String, Integer> limitLines = new LinkedHashMap<>();
    String sectionKind = null;
    String sectionName = null;
    for (int i = 0; i < lines.length; i++) {
      String where = name + ":" + (i + 1) + ": ";
      String line = lines[i].strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      try {
        if (line.startsWith("[")) {
          if (section != null) {
            b.store(sectionKind, sectionName, section);
          }
          String[] head = parseSection(line);
          sectionKind = head[0];
          sectionName = head[1];
          section = b.existing(sectionKind, sectionName);
          continue;
        }
        int eq = line.indexOf('=');
        if (eq <= 0) {
          throw new IllegalArgumentException("expected 'key = value', got '" + clip(line) + "'");
        }
        String key = line.substring(0, eq).strip().toLowerCase(Locale.ROOT);
        String value = line.substring(eq + 1).strip();
        if (section != null) {
          if (!SECTION_KEYS.contains(key)) {
            throw new IllegalArgumentException("'" + clip(key) + "' cannot be set in a ["
                + sectionKind + "] section (only " + String.join(", ", new java.util.TreeSet<>(SECTION_KEYS)) + ")");
          }
          section = section.with(key, b.parseSectionValue(key, value));
          limitLines.put(sectionKind + " " + sectionName + "/" + key, i + 1);
        } else {
          b.set(key, value);
          limitLines.put("/" + key, i + 1);
        }
      } catch (IllegalArgumentException e) {
        errors.add(where + oneLine(e.getMessage()));
      }
    }
    if (section != null) {
      b.store(sectionKind, sectionName, section);
    }
    if (errors.isEmpty()) {
      errors.addAll(b.warningBeforeItsLimit(name, limitLines));
    }
    if (errors.isEmpty()) {
      try {
        b.fleet();
      } catch (IllegalArgumentException e) {
        errors.add(name + ":" + limitLines.getOrDefault("/store", 0) + ": "
            + oneLine(e.getMessage()));
      }
    }
    if (!errors.isEmpty()) {
      String more = errors.size() > 1 ? " (and " + (errors.size() - 1) + " more)" : "";
      throw new ConfigException(errors.get(0) + more, b.onError);
    }
    return b.build();
  }

  /** The on_error value of a file that otherwise fails to parse, or OPEN. */
  private static OnError salvageOnError(byte[] bytes) {
    try {
      return parse("-", bytes).onError();
    } catch (ConfigException e) {
      return e.onError();
    }
  }

  private static String[] parseSection(String line) {
    if (!line.endsWith("]")) {
      throw new IllegalArgumentException("section header must end with ']'");
    }
    String[] parts = line.substring(1, line.length() - 1).strip().split("\\s+");
    if (parts.length != 2 || !(parts[0].equals("user") || parts[0].equals("group"))) {
      throw new IllegalArgumentException("expected [user NAME] or [group NAME], got '"
          + clip(line) + "'");
    }
    return parts;
  }

  /**
   * A message that quotes the file stays one short line: a stray CR or escape sequence in the
   * file must not break the error line or the terminal that shows it.
   */
  private static String oneLine(String message) {
    String flat = message.codePoints()
        .map(c -> Character.isISOControl(c) ? '?' : c)
        .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
        .toString();
    return flat.length() > 300 ? flat.substring(0, 300) + "..." : flat;
  }

  private static String clip(String s) {
    return s.length() > 60 ? s.substring(0, 60) + "..." : s;
  }

  /** Values as they are read; the defaults are the documented ones. */
  private static final class Builder {
    int maxSessions = 1;
    OnViolation onViolation = OnViolation.KICK_ALL;
    int violations = 3;
    Duration violationWindow = Duration.ofMinutes(10);
    Duration lockTime = Duration.ZERO;
    Set<String> services = Set.of("sshd");
    Set<String> exemptUsers = Set.of("root");
    Set<String> exemptGroups = Set.of();
    Path stateDir = Path.of("/var/lib/loginwarden");
    Path runDir = Path.of("/run/loginwarden");
    Path auditLog = Path.of("/var/log/loginwarden/audit.jsonl");
    Path logFile = Path.of("/var/log/loginwarden/loginwarden.log");
    Duration lockTimeout = Duration.ofSeconds(5);
    Duration killGrace = Duration.ofSeconds(2);
    OnError onError = OnError.OPEN;
    boolean dryRun = false;
    Duration maxSessionTime = Duration.ZERO;
    Duration idleTimeout = Duration.ZERO;
    Duration warnBefore = Duration.ofMinutes(1);
    Duration sweepInterval = Duration.ofSeconds(10);
    boolean foregroundJobIsActivity = false;
    int authFailures = 0;
    Duration authFailureWindow = Duration.ofMinutes(15);
    Duration authLockout = Duration.ofMinutes(15);
    int backoffThreshold = 2;
    Duration backoffFactor = Duration.ofSeconds(5);
    boolean consoleExempt = true;
    Path notifyCommand = null;
    Set<String> notifyOn = Set.of("kick", "lock", "unlock");
    List<String> notifyMail = List.of();
    Duration notifyTimeout = Duration.ofSeconds(10);
    String store = "file";
    String dbUrl = null;
    String dbUser = null;
    Path dbPasswordFile = null;
    Duration dbTimeout = Duration.ofSeconds(2);
    String hostId = null;
    Duration hostTimeout = Duration.ofSeconds(30);
    final Map<String, Overrides> users = new LinkedHashMap<>();
    final Map<String, Overrides> groups = new LinkedHashMap<>();

    void set(String key, String value) {
      switch (key) {
        case "max_sessions" -> maxSessions = integer(value, 1, 1000);
        case "on_violation" -> onViolation = choice(value, OnViolation.class);
        case "violations" -> violations = integer(value, 1, MAX_VIOLATIONS);
        case "violation_window" -> violationWindow = duration(value, true);
        case "lock_time" -> lockTime = duration(value, false);
        case "services" -> services = names(value, false);
        case "exempt_users" -> exemptUsers = names(value, true);
        case "exempt_groups" -> exemptGroups = names(value, true);
        case "state_dir" -> stateDir = absolute(value);
        case "run_dir" -> runDir = absolute(value);
        case "audit_log" -> auditLog = absolute(value);
        case "log_file" -> logFile = value.isEmpty() ? null : absolute(value);
        case "lock_timeout" -> lockTimeout = bounded(duration(value, true), 60);
        case "kill_grace" -> killGrace = bounded(duration(value, false), 60);
        case "on_error" -> onError = choice(value, OnError.class);
        case "dry_run" -> dryRun = bool(value);
        case "max_session_time" -> maxSessionTime = duration(value, false);
        case "idle_timeout" -> idleTimeout = duration(value, false);
        case "warn_before" -> warnBefore = duration(value, false);
        case "sweep_interval" -> sweepInterval = duration(value, true);
        case "foreground_job_is_activity" -> foregroundJobIsActivity = bool(value);
        case "auth_failures" -> authFailures = integer(value, 0, MAX_VIOLATIONS);
        case "auth_failure_window" -> authFailureWindow = duration(value, true);
        case "auth_lockout" -> authLockout = authLockout(value);
        case "backoff_threshold" -> backoffThreshold = integer(value, 1, 3);
        case "backoff_factor" -> backoffFactor = backoffFactor(value);
        case "console_exempt" -> consoleExempt = bool(value);
        case "notify_command" -> notifyCommand = value.isEmpty() ? null : program(value);
        case "notify_on" -> notifyOn = notifyEvents(value);
        case "notify_mail" -> notifyMail = mailAddresses(value);
        case "notify_timeout" -> notifyTimeout = notifyTimeout(value);
        case "store" -> store = storeKind(value);
        case "db_url" -> dbUrl = value.isEmpty() ? null : dbUrl(value);
        case "db_user" -> dbUser = value.isEmpty() ? null : fleetName(value, "a database role");
        case "db_password_file" -> dbPasswordFile = value.isEmpty() ? null : absolute(value);
        case "db_timeout" -> dbTimeout = bounded(duration(value, true), 30);
        case "host_id" -> hostId = value.isEmpty() ? null : fleetName(value, "a host id");
        case "host_timeout" -> hostTimeout = hostTimeout(value);
        default -> throw new IllegalArgumentException("unknown key '" + clip(key) + "'");
      }
    }

    Object parseSectionValue(String key, String value) {
      return switch (key) {
        case "max_sessions" -> integer(value, 1, 1000);
        case "violations" -> integer(value, 1, MAX_VIOLATIONS);
        case "violation_window" -> duration(value, true);
        case "auth_failures" -> integer(value, 0, MAX_VIOLATIONS);
        case "auth_failure_window" -> duration(value, true);
        case "auth_lockout" -> authLockout(value);
        case "backoff_threshold" -> integer(value, 1, 3);
        case "backoff_factor" -> backoffFactor(value);
        case "console_exempt" -> bool(value);
        default -> duration(value, false); // lock_time and the session time limits
      };
    }

    /** 0 (until unlocked) or 1s to 43200m: scaled-down tests need seconds. */
    private static Duration authLockout(String value) {
      Duration d = duration(value, false);
      if (d.compareTo(MAX_AUTH_LOCKOUT) > 0) {
        throw new IllegalArgumentException("at most 43200m (30 days), or 0 for until unlocked");
      }
      return d;
    }

    /** One program, run without a shell: an absolute path and nothing else. */
    private static Path program(String value) {
      if (value.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
        throw new IllegalArgumentException("expected one absolute program path (no arguments, "
            + "no shell), got '" + clip(value) + "'");
      }
      return absolute(value);
    }

    private static Set<String> notifyEvents(String value) {
      Set<String> events = names(value, true);
      for (String e : events) {
        if (!org.loginwarden.notify.NotifyEvent.NAMES.contains(e)) {
          throw new IllegalArgumentException("unknown event '" + clip(e) + "' (one of "
              + String.join(", ", org.loginwarden.notify.NotifyEvent.NAMES) + ")");
        }
      }
      return events;
    }

    /**
     * Plain addresses ({@code admin@example.org}, or a local user), nothing sendmail could
     * take for an option or a second header: no spaces, quotes, angle brackets or leading '-'.
     */
    private static List<String> mailAddresses(String value) {
      List<String> out = new ArrayList<>(names(value, true));
      for (String a : out) {
        if (!MAIL_ADDRESS.matcher(a).matches()) {
          throw new IllegalArgumentException("expected plain mail addresses such as "
              + "admin@example.org, got '" + clip(a) + "'");
        }
      }
      return out;
    }

    /** 5s to 1h: shorter than a few heartbeats would presume live hosts dead. */
    private static Duration hostTimeout(String value) {
      Duration d = duration(value, true);
      if (d.compareTo(Duration.ofSeconds(5)) < 0 || d.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException("expected 5s to 1h, got '" + clip(value) + "'");
      }
      return d;
    }

    private static String storeKind(String value) {
      if (!value.equals("file") && !value.equals("postgresql")) {
        throw new IllegalArgumentException("expected file or postgresql, got '" + clip(value)
            + "'");
      }
      return value;
    }

    /**
     * A PostgreSQL JDBC URL without credentials: the password belongs in db_password_file,
     * which only root can read, not in a file every admin tool prints. The URL itself is
     * never quoted back, in case it holds one anyway.
     */
    private static String dbUrl(String value) {
      if (!value.startsWith("jdbc:postgresql://") || value.length() > 1000
          || value.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
        throw new IllegalArgumentException("expected jdbc:postgresql://HOST[:PORT]/DATABASE"
            + "[?PARAMETERS], one word");
      }
      String lower = value.toLowerCase(java.util.Locale.ROOT);
      if (lower.contains("password=") || value.substring(18).split("[/?]", 2)[0].contains("@")) {
        throw new IllegalArgumentException("db_url must not hold a password: put it in "
            + "db_password_file");
      }
      return value;
    }

    /** Database roles and host ids: short, plain, safe in SQL parameters, logs and paths. */
    private static String fleetName(String value, String what) {
      if (!FLEET_NAME.matcher(value).matches()) {
        throw new IllegalArgumentException("expected " + what + ": 1 to 64 of a-z A-Z 0-9 . _ "
            + "-, got '" + clip(value) + "'");
      }
      return value;
    }

    /** 1s to 10m: the notifier runs detached, but must not pile up. */
    private static Duration notifyTimeout(String value) {
      Duration d = duration(value, true);
      if (d.compareTo(Duration.ofMinutes(10)) > 0) {
        throw new IllegalArgumentException("at most 10m");
      }
      return d;
    }

    /** 5s to 10s, as network gear allows. */
    private static Duration backoffFactor(String value) {
      Duration d = duration(value, false);
      if (d.compareTo(Duration.ofSeconds(5)) < 0 || d.compareTo(Duration.ofSeconds(10)) > 0) {
        throw new IllegalArgumentException("expected 5s to 10s, got '" + clip(value) + "'");
      }
      return d;
    }

    Overrides existing(String kind, String name) {
      Map<String, Overrides> target = kind.equals("user") ? users : groups;
      return target.getOrDefault(name, Overrides.NONE);
    }

    void store(String kind, String name, Overrides overrides) {
      (kind.equals("user") ? users : groups).put(name, overrides);
    }

    /**
     * A warning at least as long as the limit it warns of would come after every pause, "idle
     * for 0 s": each time limit must be longer than the warn_before that applies with it.
     */
    List<String> warningBeforeItsLimit(String name, Map<String, Integer> lines) {
      List<String> out = new ArrayList<>();
      Map<String, Overrides> scopes = new LinkedHashMap<>();
      scopes.put("", Overrides.NONE);
      users.forEach((n, o) -> scopes.put("user " + n, o));
      groups.forEach((n, o) -> scopes.put("group " + n, o));
      for (Map.Entry<String, Overrides> scope : scopes.entrySet()) {
        Overrides o = scope.getValue();
        Duration warn = o.get("warn_before", warnBefore);
        for (String key : List.of("idle_timeout", "max_session_time")) {
          Duration limit = o.get(key, key.equals("idle_timeout") ? idleTimeout : maxSessionTime);
          if (!limit.isZero() && !warn.isZero() && warn.compareTo(limit) >= 0) {
            Integer line = lines.getOrDefault(scope.getKey() + "/" + key,
                lines.getOrDefault(scope.getKey() + "/warn_before",
                    lines.getOrDefault("/" + key, 0)));
            out.add(name + ":" + line + ": " + key + " " + Durations.format(limit)
                + (scope.getKey().isEmpty() ? "" : " in [" + scope.getKey() + "]")
                + " must be longer than warn_before " + Durations.format(warn));
          }
        }
      }
      return out;
    }

    Config build() {
      return new Config(maxSessions, onViolation, violations, violationWindow, lockTime,
          services, exemptUsers, exemptGroups, stateDir, runDir, auditLog, logFile, lockTimeout,
          killGrace, onError, dryRun, maxSessionTime, idleTimeout, warnBefore, sweepInterval,
          foregroundJobIsActivity, authFailures, authFailureWindow, authLockout,
          backoffThreshold, backoffFactor, consoleExempt, notifyCommand, notifyOn, notifyMail,
          notifyTimeout, fleet(), users, groups);
    }

    /** The fleet settings, checked together: a URL and a user are needed, nothing else. */
    Fleet fleet() {
      if (!store.equals("postgresql")) {
        if (dbUrl != null || dbUser != null || dbPasswordFile != null || hostId != null) {
          throw new IllegalArgumentException("db_url, db_user, db_password_file and host_id "
              + "need store = postgresql");
        }
        return null;
      }
      if (dbUrl == null || dbUser == null) {
        throw new IllegalArgumentException("store = postgresql needs db_url and db_user");
      }
      return new Fleet(dbUrl, dbUser, dbPasswordFile, dbTimeout, hostId, hostTimeout);
    }

    private static int integer(String value, int min, int max) {
      try {
        if (value.isEmpty() || value.length() > 9
            || !value.chars().allMatch(Durations::isAsciiDigit)) {
          throw new NumberFormatException(value);
        }
        int n = Integer.parseInt(value);
        if (n >= min && n <= max) {
          return n;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new IllegalArgumentException("expected a whole number from " + min + " to " + max
          + ", got '" + clip(value) + "'");
    }

    private static Duration duration(String value, boolean positive) {
      Duration d = Durations.parse(value);
      if (positive && d.isZero()) {
        throw new IllegalArgumentException("must be more than 0");
      }
      return d;
    }

    private static Duration bounded(Duration d, int maxSeconds) {
      if (d.toSeconds() > maxSeconds) {
        throw new IllegalArgumentException("at most " + maxSeconds + "s: a login must not wait "
            + "longer");
      }
      return d;
    }

    private static <E extends Enum<E>> E choice(String value, Class<E> type) {
      for (E e : type.getEnumConstants()) {
        if (e.name().equalsIgnoreCase(value)) {
          return e;
        }
      }
      List<String> allowed = new ArrayList<>();
      for (E e : type.getEnumConstants()) {
        allowed.add(e.name().toLowerCase(Locale.ROOT));
      }
      throw new IllegalArgumentException("expected one of " + String.join(", ", allowed)
          + ", got '" + clip(value) + "'");
    }

    private static boolean bool(String value) {
      return switch (value.toLowerCase(Locale.ROOT)) {
        case "true", "yes", "on", "1" -> true;
        case "false", "no", "off", "0" -> false;
        default -> throw new IllegalArgumentException("expected true or false, got '"
            + clip(value) + "'");
      };
    }

    private static Set<String> names(String value, boolean emptyOk) {
      Set<String> out = new LinkedHashSet<>();
      for (String n : value.split("[\\s,]+")) {
        if (!n.isEmpty()) {
          out.add(n);
        }
      }
      if (out.isEmpty() && !emptyOk) {
        throw new IllegalArgumentException("needs at least one name");
      }
      return out;
    }

    private static Path absolute(String value) {
      if (!value.startsWith("/") || value.contains("\0")) {
        throw new IllegalArgumentException("expected an absolute path, got '" + clip(value) + "'");
      }
      return Path.of(value).normalize();
    }
  }
}
