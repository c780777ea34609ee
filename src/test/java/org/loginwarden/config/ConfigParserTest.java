package org.loginwarden.config;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.loginwarden.core.AuthPolicy;
import org.loginwarden.core.OnViolation;
import org.loginwarden.core.Durations;
import org.loginwarden.core.Policy;
import org.loginwarden.core.SessionLimits;

class ConfigParserTest {

  private static Config parse(String text) throws ConfigException {
    return ConfigParser.parse("test.conf", text.getBytes(StandardCharsets.UTF_8));
  }

  private static ConfigException error(String text) {
    return assertThrows(ConfigException.class, () -> parse(text));
  }

  @Test
  void theDefaults() throws ConfigException {
    Config c = ConfigParser.defaults();

    assertEquals(1, c.maxSessions());
    assertEquals(OnViolation.KICK_ALL, c.onViolation());
    assertEquals(3, c.violations());
    assertEquals(Duration.ofMinutes(10), c.violationWindow());
    assertEquals(Duration.ZERO, c.lockTime());
    assertEquals(Set.of("sshd"), c.services());
    assertEquals(Set.of("root"), c.exemptUsers());
    assertEquals(Set.of(), c.exemptGroups());
    assertEquals(Path.of("/var/lib/loginwarden"), c.stateDir());
    assertEquals(Path.of("/run/loginwarden"), c.runDir());
    assertEquals(Path.of("/var/log/loginwarden/audit.jsonl"), c.auditLog());
    assertEquals(Path.of("/var/log/loginwarden/loginwarden.log"), c.logFile());
    assertEquals(Duration.ofSeconds(5), c.lockTimeout());
    assertEquals(Duration.ofSeconds(2), c.killGrace());
    assertEquals(OnError.OPEN, c.onError());
    assertFalse(c.dryRun());
    assertEquals(Map.of(), c.userSections());
    assertEquals(Map.of(), c.groupSections());
    assertFalse(c.needsGroups());
    assertEquals(AuthPolicy.OFF, c.authPolicyFor("alice", List.of()));
    assertFalse(c.countsAuthFailures());
    assertEquals(c, parse(""), "an empty file is the defaults");
    assertEquals(c, parse("# only a comment\n\n   \n\t# indented comment\n"));
  }

  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource(delimiter = '|', value = {
      "max_sessions     | 2                  | maxSessions     | 2",
      "max_sessions     | 1000               | maxSessions     | 1000",
      "on_violation     | refuse_new         | onViolation     | REFUSE_NEW",
      "on_violation     | KICK_ALL           | onViolation     | KICK_ALL",
      "violations       | 5                  | violations      | 5",
      "violations       | 100                | violations      | 100",
      "violation_window | 1h                 | violationWindow | PT1H",
      "violation_window | 90                 | violationWindow | PT1M30S",
      "lock_time        | 1d                 | lockTime        | PT24H",
      "lock_time        | 0                  | lockTime        | PT0S",
      "services         | sshd, sshd-alt  su | services        | [sshd, sshd-alt, su]",
      "exempt_users     | alice,bob          | exemptUsers     | [alice, bob]",
      "exempt_users     | ''                 | exemptUsers     | []",
      "exempt_groups    | wheel admins       | exemptGroups    | [admins, wheel]",
      "state_dir        | /srv/lw/../lw2     | stateDir        | /srv/lw2",
      "run_dir          | /run/lw            | runDir          | /run/lw",
      "audit_log        | /var/log/a.jsonl   | auditLog        | /var/log/a.jsonl",
      "log_file         | /tmp/lw.log        | logFile         | /tmp/lw.log",
      "log_file         | ''                 | logFile         | null",
      "lock_timeout     | 60s                | lockTimeout     | PT1M",
      "kill_grace       | 0                  | killGrace       | PT0S",
      "kill_grace       | 1m                 | killGrace       | PT1M",
      "on_error         | closed             | onError         | CLOSED",
      "on_error         | Open               | onError         | OPEN",
      "dry_run          | yes                | dryRun          | true",
      "dry_run          | ON                 | dryRun          | true",
      "dry_run          | 1                  | dryRun          | true",
      "dry_run          | false              | dryRun          | false",
      "dry_run          | no                 | dryRun          | false",
      "DRY_RUN          | true               | dryRun          | true",
      "auth_failures    | 5                  | authFailures    | 5",
      "auth_failures    | 0                  | authFailures    | 0",
      "auth_failures    | 100                | authFailures    | 100",
      "auth_failure_window | 1h              | authFailureWindow | PT1H",
      "auth_lockout     | 43200m             | authLockout     | PT720H",
      "auth_lockout     | 1s                 | authLockout     | PT1S",
      "auth_lockout     | 0                  | authLockout     | PT0S",
      "backoff_threshold | 1                 | backoffThreshold | 1",
      "backoff_threshold | 3                 | backoffThreshold | 3",
      "backoff_factor   | 5s                 | backoffFactor   | PT5S",
      "backoff_factor   | 10                 | backoffFactor   | PT10S",
      "console_exempt   | no                 | consoleExempt   | false",
  })
  void everyKey(String key, String value, String component, String expected) throws Exception {
    Config c = parse("# a comment\n" + key + " = " + value + "\n");

    Object actual = Config.class.getMethod(component).invoke(c);
    String shown = actual instanceof Set<?> set
        ? new java.util.TreeSet<>(set.stream().map(String::valueOf).toList()).toString()
        : String.valueOf(actual);
    assertEquals(expected, shown);
  }

  @Test
  void whiteSpaceAndLineEndingsAreTolerated() throws ConfigException {
    Config c = parse("  max_sessions=2\r\n\tviolations   =   4  \r\nlock_time =1h");

    assertEquals(2, c.maxSessions());
    assertEquals(4, c.violations());
    assertEquals(Duration.ofHours(1), c.lockTime());
  }

  @ParameterizedTest(name = "''{0}'' -> {1}")
  @CsvSource(delimiter = '|', value = {
      "nonsense = 1                     | test.conf:1: unknown key 'nonsense'",
      "max_sessions                     | test.conf:1: expected 'key = value'",
      "= 3                              | test.conf:1: expected 'key = value'",
      "max_sessions = 0                 | test.conf:1: expected a whole number from 1 to 1000",
      "max_sessions = 1001              | test.conf:1: expected a whole number from 1 to 1000",
      "max_sessions = two               | test.conf:1: expected a whole number",
      "max_sessions = +2                | test.conf:1: expected a whole number",
      "max_sessions = \u0663            | test.conf:1: expected a whole number",
      "max_sessions =                   | test.conf:1: expected a whole number",
      "violations = 0                   | test.conf:1: expected a whole number from 1 to 100,",
      "violations = 101                 | test.conf:1: expected a whole number from 1 to 100,",
      "violation_window = 0             | test.conf:1: must be more than 0",
      "violation_window = 10x           | test.conf:1: unknown unit 'x'",
      "lock_time = soon                 | test.conf:1: not a duration",
      "lock_timeout = 0                 | test.conf:1: must be more than 0",
      "lock_timeout = 61s               | test.conf:1: at most 60s",
      "kill_grace = 2m                  | test.conf:1: at most 60s",
      "on_violation = kick              | test.conf:1: expected one of kick_all, refuse_new",
      "on_error = maybe                 | test.conf:1: expected one of open, closed",
      "dry_run = perhaps                | test.conf:1: expected true or false",
      "auth_failures = 101              | test.conf:1: expected a whole number from 0 to 100,",
      "auth_failures = -1               | test.conf:1: expected a whole number from 0 to 100,",
      "auth_failure_window = 0          | test.conf:1: must be more than 0",
      "auth_lockout = 43201m            | test.conf:1: at most 43200m (30 days)",
      "auth_lockout = 31d               | test.conf:1: at most 43200m (30 days)",
      "backoff_threshold = 0            | test.conf:1: expected a whole number from 1 to 3,",
      "backoff_threshold = 4            | test.conf:1: expected a whole number from 1 to 3,",
      "backoff_factor = 4s              | test.conf:1: expected 5s to 10s, got '4s'",
      "backoff_factor = 11s             | test.conf:1: expected 5s to 10s, got '11s'",
      "backoff_factor = 1m              | test.conf:1: expected 5s to 10s, got '1m'",
      "console_exempt = sometimes       | test.conf:1: expected true or false",
      "services =                       | test.conf:1: needs at least one name",
      "services = , ,                   | test.conf:1: needs at least one name",
      "state_dir = var/lib/lw           | test.conf:1: expected an absolute path",
      "audit_log =                      | test.conf:1: expected an absolute path",
      "[user]                           | test.conf:1: expected [user NAME] or [group NAME]",
      "[host alice]                     | test.conf:1: expected [user NAME] or [group NAME]",
      "[user a b]                       | test.conf:1: expected [user NAME] or [group NAME]",
      "[user alice                      | test.conf:1: section header must end with ']'",
  })
  void errorsNameTheFileAndLine(String line, String start) {
    ConfigException e = error("\n".repeat(0) + line + "\n");

    assertTrue(e.getMessage().startsWith(start), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
    assertEquals(OnError.OPEN, e.onError());
  }

  @Test
  void theLineNumberCountsCommentsAndBlankLines() {
    ConfigException e = error("# comment\n\nmax_sessions = 2\n\n  bogus = 1\n");

    assertEquals("test.conf:5: unknown key 'bogus'", e.getMessage());
  }

  @Test
  void severalErrorsAreOneLine() {
    ConfigException e = error("a = 1\nb = 2\nc = 3\n");

    assertEquals("test.conf:1: unknown key 'a' (and 2 more)", e.getMessage());
  }

  @Test
  void longValuesAreClipped() {
    ConfigException e = error("max_sessions = " + "9".repeat(500));

    assertTrue(e.getMessage().length() < 200, e.getMessage());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "on_error = closed\\nbogus = 1                   | CLOSED",
      "bogus = 1\\non_error = closed                   | CLOSED",
      "on_error = closed\\non_error = open\\nbogus = 1  | OPEN",
      "on_error = bogus\\nmax_sessions = 0             | OPEN",
      "bogus = 1                                      | OPEN",
      "[user alice]\\non_error = closed                | OPEN",
  })
  void theErrorCarriesTheOnErrorOfTheFile(String text, OnError expected) {
    assertEquals(expected, error(text.replace("\\n", "\n")).onError());
  }

  @Test
  void keysOtherThanTheLimitsAreRefusedInSections() {
    for (String key : List.of("on_violation = refuse_new", "services = sshd", "dry_run = true",
        "state_dir = /x", "exempt_users = bob")) {
      ConfigException e = error("[user alice]\n" + key + "\n");
      assertTrue(e.getMessage().startsWith("test.conf:2: '"), e.getMessage());
      assertTrue(e.getMessage().contains("cannot be set in a [user] section"), e.getMessage());
    }
    assertTrue(error("[group g]\ndry_run = true").getMessage()
        .contains("cannot be set in a [group] section"));
  }

  @Test
  void sectionValuesAreChecked() {
    assertTrue(error("[user alice]\nmax_sessions = 0").getMessage()
        .startsWith("test.conf:2: expected a whole number"));
    assertTrue(error("[user alice]\nviolations = 101").getMessage()
        .startsWith("test.conf:2: expected a whole number from 1 to 100,"));
    assertTrue(error("[group g]\nviolation_window = 0").getMessage()
        .startsWith("test.conf:2: must be more than 0"));
    assertTrue(error("[group g]\nlock_time = x").getMessage()
        .startsWith("test.conf:2: not a duration"));
  }

  @Test
  void sectionsOverrideTheLimits() throws ConfigException {
    Config c = parse("""
        max_sessions = 1
        violations = 3
        violation_window = 10m
        lock_time = 1h
        on_violation = refuse_new
        dry_run = yes

        [group staff]
        max_sessions = 2
        violations = 5

        [group devs]
        max_sessions = 4
        lock_time = 0

        [user alice]
        max_sessions = 3

        [user carol]
        violation_window = 1d
        """);

    assertTrue(c.needsGroups());
    Policy base = new Policy(1, OnViolation.REFUSE_NEW, 3, Duration.ofMinutes(10),
        Duration.ofHours(1), true);
    assertEquals(base, c.policyFor("nobody", List.of()));
    assertEquals(base, c.policyFor("nobody", List.of("other")));
    assertEquals(new Policy(2, OnViolation.REFUSE_NEW, 5, Duration.ofMinutes(10),
        Duration.ofHours(1), true), c.policyFor("nobody", List.of("staff")));
    // Groups apply in file order, whatever order the user's groups come in: devs is later.
    Policy both = new Policy(4, OnViolation.REFUSE_NEW, 5, Duration.ofMinutes(10),
        Duration.ZERO, true);
    assertEquals(both, c.policyFor("nobody", List.of("staff", "devs")));
    assertEquals(both, c.policyFor("nobody", List.of("devs", "staff")));
    // The user section beats every group, and only for the keys it sets.
    assertEquals(new Policy(3, OnViolation.REFUSE_NEW, 5, Duration.ofMinutes(10),
        Duration.ZERO, true), c.policyFor("alice", List.of("devs", "staff")));
    assertEquals(new Policy(1, OnViolation.REFUSE_NEW, 3, Duration.ofDays(1),
        Duration.ofHours(1), true), c.policyFor("carol", List.of()));
  }

  @Test
  void sectionsOverrideTheFailedLoginLimits() throws ConfigException {
    Config c = parse("""
        auth_failures = 5
        auth_lockout = 15m

        [group ops]
        auth_failures = 0
        console_exempt = no

        [user alice]
        auth_failures = 3
        auth_failure_window = 1h
        auth_lockout = 10s
        backoff_threshold = 1
        backoff_factor = 10s
        """);

    assertTrue(c.countsAuthFailures());
    assertEquals(new AuthPolicy(5, Duration.ofMinutes(15), Duration.ofMinutes(15), 2,
        Duration.ofSeconds(5), true), c.authPolicyFor("bob", List.of()));
    assertEquals(new AuthPolicy(0, Duration.ofMinutes(15), Duration.ofMinutes(15), 2,
        Duration.ofSeconds(5), false), c.authPolicyFor("bob", List.of("ops")));
    assertEquals(new AuthPolicy(3, Duration.ofHours(1), Duration.ofSeconds(10), 1,
        Duration.ofSeconds(10), false), c.authPolicyFor("alice", List.of("ops")));
    assertTrue(parse("[user alice]\nauth_failures = 2").countsAuthFailures(),
        "one section counting is enough");
    assertFalse(parse("[user alice]\nauth_failures = 0").countsAuthFailures());
  }

  @Test
  void failedLoginSectionValuesAreChecked() {
    assertTrue(error("[user alice]\nbackoff_factor = 1s").getMessage()
        .startsWith("test.conf:2: expected 5s to 10s"));
    assertTrue(error("[group g]\nauth_lockout = 60d").getMessage()
        .startsWith("test.conf:2: at most 43200m"));
    assertTrue(error("[group g]\nbackoff_threshold = 9").getMessage()
        .startsWith("test.conf:2: expected a whole number from 1 to 3"));
    assertTrue(error("[user alice]\nconsole_exempt = maybe").getMessage()
        .startsWith("test.conf:2: expected true or false"));
  }

  @Test
  void aRepeatedSectionAddsToTheFirst() throws ConfigException {
    Config c = parse("[user alice]\nmax_sessions = 2\n[user bob]\nmax_sessions = 5\n"
        + "[user alice]\nviolations = 7\n");

    assertEquals(new Overrides(Map.of("max_sessions", 2, "violations", 7)), c.userSections().get("alice"));
    assertEquals(new Overrides(Map.of("max_sessions", 5)), c.userSections().get("bob"));
  }

  @Test
  void globalKeysMustComeBeforeTheFirstSection() {
    // Once in a section, a global key is an error rather than silently global.
    ConfigException e = error("[user alice]\nmax_sessions = 2\non_violation = refuse_new\n");

    assertTrue(e.getMessage().startsWith("test.conf:3: "), e.getMessage());
  }

  @ParameterizedTest(name = "{0} in groups {1}: exempt {2}")
  @CsvSource(delimiter = '|', value = {
      "root  | ''          | true",
      "alice | ''          | true",
      "bob   | ''          | false",
      "bob   | users wheel | true",
      "bob   | users       | false",
      "Root  | ''          | false",
  })
  void rootIsAlwaysExempt(String user, String groups, boolean exempt) throws ConfigException {
    Config c = parse("exempt_users = alice\nexempt_groups = wheel\n");

    List<String> g = groups.isEmpty() ? List.of() : List.of(groups.split(" "));
    assertEquals(exempt, c.isExempt(user, g));
  }

  @Test
  void rootStaysExemptWithAnEmptyExemptList() throws ConfigException {
    assertTrue(parse("exempt_users =\n").isExempt("root", List.of()));
  }

  @Test
  void nonUtf8IsAnErrorWithItsLine() {
    byte[] bytes = "on_error = closed\n# caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1);

    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigParser.parse("test.conf", bytes));

    assertEquals("test.conf:2: not valid UTF-8", e.getMessage());
    assertEquals(OnError.CLOSED, e.onError(), "on_error was readable: honour it");
  }

  @Test
  void nonUtf8WithoutOnErrorFailsOpen() {
    byte[] bytes = {'m', 'a', 'x', '=', (byte) 0xff};

    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigParser.parse("test.conf", bytes));

    assertEquals("test.conf:1: not valid UTF-8", e.getMessage());
    assertEquals(OnError.OPEN, e.onError());
  }

  @Test
  void aTruncatedSequenceAtTheEndIsOnItsLine() {
    byte[] head = "# \u00e9t\u00e9 \u2603\n\nmax_sessions = 2\n# ".getBytes(StandardCharsets.UTF_8);
    byte[] bytes = java.util.Arrays.copyOf(head, head.length + 1);
    bytes[head.length] = (byte) 0xe2;

    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigParser.parse("test.conf", bytes));

    assertEquals("test.conf:4: not valid UTF-8", e.getMessage());
  }

  @Test
  void utf8IsFine() throws ConfigException {
    Config c = parse("# caf\u00e9 \u2603\n[user j\u00fcrgen]\nmax_sessions = 2\n");

    assertEquals(2, c.policyFor("j\u00fcrgen", List.of()).maxSessions());
  }

  @Test
  void loadReadsAFileAndTreatsAMissingDefaultAsTheDefaults(@TempDir Path dir)
      throws IOException, ConfigException {
    Path file = dir.resolve("loginwarden.conf");
    assertEquals(ConfigParser.defaults(), ConfigParser.load(file, true));
    ConfigException missing =
        assertThrows(ConfigException.class, () -> ConfigParser.load(file, false));
    assertTrue(missing.getMessage().endsWith("no such file"), missing.getMessage());

    Files.writeString(file, "max_sessions = 2\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    assertEquals(2, ConfigParser.load(file, false).maxSessions());

    ConfigException bad = assertThrows(ConfigException.class,
        () -> ConfigParser.load(dir, false));
    assertTrue(bad.getMessage().endsWith("not a regular file"), bad.getMessage());
  }

  @Test
  void loadRefusesAFileOthersCanWrite(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("loginwarden.conf");
    Files.writeString(file, "on_error = closed\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-r--"));

    ConfigException e = assertThrows(ConfigException.class, () -> ConfigParser.load(file, true));

    assertTrue(e.getMessage().contains("writable by group or others"), e.getMessage());
    assertEquals(OnError.CLOSED, e.onError());
  }

  @Test
  void overridesWithAKey() {
    Overrides o = Overrides.NONE.with("max_sessions", 2).with("lock_time", Duration.ZERO);

    assertEquals(new Overrides(Map.of("max_sessions", 2, "lock_time", Duration.ZERO)), o);
    assertEquals(Map.of(), Overrides.NONE.values());
    assertEquals(3, Overrides.NONE.get("max_sessions", 3), "unset: the global value");
    assertEquals(2, o.get("max_sessions", 3));
  }

  // Session time limits (issue 3).

  private static SessionLimits limits(String max, String idle, String warn, boolean fg) {
    return new SessionLimits(Durations.parse(max), Durations.parse(idle), Durations.parse(warn),
        fg);
  }

  @Test
  void theDefaultsOfTheTimeLimits() throws ConfigException {
    Config c = ConfigParser.defaults();

    assertEquals(Duration.ZERO, c.maxSessionTime());
    assertEquals(Duration.ZERO, c.idleTimeout());
    assertEquals(Duration.ofMinutes(1), c.warnBefore());
    assertEquals(Duration.ofSeconds(10), c.sweepInterval());
    assertFalse(c.foregroundJobIsActivity());
    assertEquals(limits("0", "0", "1m", false), c.limitsFor("alice", List.of("staff")));
    assertFalse(c.limitsFor("alice", List.of()).any(), "no limit unless configured");
    assertEquals(c, parse(""));
  }

  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource(delimiter = '|', value = {
      "max_session_time           | 8h    | maxSessionTime          | PT8H",
      "max_session_time           | 0     | maxSessionTime          | PT0S",
      "idle_timeout               | 15m   | idleTimeout             | PT15M",
      "idle_timeout               | 90    | idleTimeout             | PT1M30S",
      "idle_timeout               | 0s    | idleTimeout             | PT0S",
      "warn_before                | 0     | warnBefore              | PT0S",
      "warn_before                | 5m    | warnBefore              | PT5M",
      "sweep_interval             | 1s    | sweepInterval           | PT1S",
      "sweep_interval             | 1m    | sweepInterval           | PT1M",
      "foreground_job_is_activity | yes   | foregroundJobIsActivity | true",
      "foreground_job_is_activity | TRUE  | foregroundJobIsActivity | true",
      "foreground_job_is_activity | off   | foregroundJobIsActivity | false",
      "IDLE_TIMEOUT               | 1h    | idleTimeout             | PT1H",
  })
  void everyTimeLimitKey(String key, String value, String component, String expected)
      throws Exception {
    Config c = parse(key + " = " + value + "\n");

    assertEquals(expected, String.valueOf(Config.class.getMethod(component).invoke(c)));
  }

  @ParameterizedTest(name = "''{0}'' -> {1}")
  @CsvSource(delimiter = '|', value = {
      "sweep_interval = 0                       | test.conf:1: must be more than 0",
      "sweep_interval = 0s                      | test.conf:1: must be more than 0",
      "sweep_interval = soon                    | test.conf:1: not a duration",
      "max_session_time = 8 hours               | test.conf:1: not a duration",
      "max_session_time = -1h                   | test.conf:1: not a duration",
      "idle_timeout = 15x                       | test.conf:1: unknown unit 'x'",
      "idle_timeout =                           | test.conf:1: empty duration",
      "warn_before = 1.5m                       | test.conf:1: not a duration",
      "foreground_job_is_activity = sometimes   | test.conf:1: expected true or false",
      "foreground_job_is_activity =             | test.conf:1: expected true or false",
  })
  void timeLimitErrorsNameTheFileAndLine(String line, String start) {
    ConfigException e = error(line + "\n");

    assertTrue(e.getMessage().startsWith(start), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
  }

  @Test
  void onlyTheTimeLimitsThemselvesGoInSections() throws ConfigException {
    for (String key : List.of("sweep_interval = 5s", "foreground_job_is_activity = yes")) {
      ConfigException e = error("[group staff]\n" + key + "\n");
      assertTrue(e.getMessage().startsWith("test.conf:2: '"), e.getMessage());
      assertTrue(e.getMessage().contains("cannot be set in a [group] section"), e.getMessage());
      assertTrue(e.getMessage().contains("idle_timeout, lock_time, max_session_time"),
          "the message lists what may be set: " + e.getMessage());
    }
    Config c = parse("[user alice]\nmax_session_time = 1h\nidle_timeout = 5m\n"
        + "warn_before = 30s\n");
    assertEquals(new Overrides(Map.of("max_session_time", Duration.ofHours(1), "idle_timeout",
        Duration.ofMinutes(5), "warn_before", Duration.ofSeconds(30))),
        c.userSections().get("alice"));
  }

  @Test
  void timeLimitSectionValuesAreChecked() {
    assertTrue(error("[user alice]\nidle_timeout = x").getMessage()
        .startsWith("test.conf:2: not a duration"));
    assertTrue(error("[group g]\n\nmax_session_time = 5w").getMessage()
        .startsWith("test.conf:3: unknown unit 'w'"));
    assertTrue(error("[group g]\nwarn_before = -1").getMessage()
        .startsWith("test.conf:2: not a duration"));
  }

  @Test
  void aTimeLimitNotLongerThanItsWarningIsAnErrorOnItsLine() {
    ConfigException global = assertThrows(ConfigException.class,
        () -> parse("warn_before = 1m\nidle_timeout = 30s\n"));
    assertEquals("test.conf:2: idle_timeout 30s must be longer than warn_before 1m",
        global.getMessage());
    ConfigException section = assertThrows(ConfigException.class,
        () -> parse("idle_timeout = 15m\n[user bob]\nmax_session_time = 1m\n"));
    assertEquals("test.conf:3: max_session_time 1m in [user bob] must be longer than "
        + "warn_before 1m", section.getMessage());
    assertEquals(Duration.ofSeconds(30), assertDoesNotThrow(
        () -> parse("warn_before = 10s\nidle_timeout = 30s\n")).idleTimeout());
  }

  @Test
  void limitsForResolvesSectionsLikeThePolicy() throws ConfigException {
    Config c = parse("""
        max_session_time = 8h
        idle_timeout = 15m
        warn_before = 2m
        foreground_job_is_activity = yes
        max_sessions = 1

        [group staff]
        idle_timeout = 30m
        warn_before = 5m

        [group devs]
        idle_timeout = 0
        max_sessions = 3

        [user alice]
        max_session_time = 12h

        [user bob]
        idle_timeout = 10m

        [user carol]
        max_sessions = 2
        """);

    SessionLimits base = limits("8h", "15m", "2m", true);
    assertEquals(base, c.limitsFor("nobody", List.of()));
    assertEquals(base, c.limitsFor("nobody", List.of("other")));
    assertEquals(limits("8h", "30m", "5m", true), c.limitsFor("nobody", List.of("staff")));
    // Groups apply in file order whatever order the user's groups come in: devs is later,
    // and its 0 lifts the idle limit that staff set.
    assertEquals(limits("8h", "0", "5m", true), c.limitsFor("nobody", List.of("staff", "devs")));
    assertEquals(limits("8h", "0", "5m", true), c.limitsFor("nobody", List.of("devs", "staff")));
    // A [user] section beats every group, for the keys it sets only.
    assertEquals(limits("12h", "0", "5m", true), c.limitsFor("alice", List.of("devs", "staff")));
    assertEquals(limits("12h", "15m", "2m", true), c.limitsFor("alice", List.of()));
    assertEquals(limits("8h", "10m", "5m", true), c.limitsFor("bob", List.of("staff", "devs")));
    // A section that sets only max_sessions leaves the time limits global, and the reverse.
    assertEquals(base, c.limitsFor("carol", List.of()));
    assertEquals(2, c.policyFor("carol", List.of()).maxSessions());
    assertEquals(3, c.policyFor("alice", List.of("devs")).maxSessions());
    assertEquals(1, c.policyFor("bob", List.of("staff")).maxSessions());
  }

  @Test
  void overridesUnderATopSection() {
    Overrides group = Overrides.NONE.with("idle_timeout", Duration.ofMinutes(30))
        .with("warn_before", Duration.ofMinutes(5));
    Overrides user = Overrides.NONE.with("idle_timeout", Duration.ofMinutes(1));

    Overrides merged = group.under(user);

    assertEquals(Duration.ofMinutes(1), merged.get("idle_timeout", Duration.ZERO));
    assertEquals(Duration.ofMinutes(5), merged.get("warn_before", Duration.ZERO));
    assertEquals(Duration.ofHours(8), merged.get("max_session_time", Duration.ofHours(8)));
    assertEquals(group, group.under(Overrides.NONE));
    assertEquals(user, Overrides.NONE.under(user));
    assertEquals(Duration.ofMinutes(30), group.get("idle_timeout", Duration.ZERO),
        "under() leaves both sections as they were");
  }

  @Test
  void anErrorQuotingTheFileStaysOneShortLine() {
    // Found by ConfigParserFuzzTest: a CR inside a key was echoed into the error line.
    assertEquals("test.conf:1: unknown key 'a?b'", error("a\rb = 1").getMessage());
    String m = error("lock_timeout = 1\u001b[2J" + "9".repeat(70_000) + "x").getMessage();
    assertTrue(m.length() < 400 && m.chars().noneMatch(Character::isISOControl), m);
  }

  @Test
  void fleetModeNeedsAUrlAndARoleAndKeepsPasswordsOutOfTheUrl() throws Exception {
    Config c = parse("store = postgresql\ndb_url = jdbc:postgresql://db.example.org:5432/lw"
        + "?sslmode=verify-full\ndb_user = loginwarden\nhost_id = bastion-1\n");
    assertEquals("loginwarden", c.fleet().dbUser());
    assertEquals("bastion-1", c.fleet().hostId());
    assertEquals(Duration.ofSeconds(2), c.fleet().dbTimeout());
    assertEquals(Duration.ofSeconds(30), c.fleet().hostTimeout());
    assertEquals("postgresql://db.example.org:5432/lw", c.fleet().safeUrl());
    assertEquals(null, parse("").fleet(), "the file store by default");

    assertTrue(error("store = postgresql\ndb_user = lw").getMessage()
        .contains("store = postgresql needs db_url and db_user"));
    assertTrue(error("host_id = a").getMessage().contains("need store = postgresql"));
    String secret = "s3cr3t";
    for (String url : List.of("jdbc:postgresql://db/lw?password=" + secret,
        "jdbc:postgresql://lw:" + secret + "@db/lw")) {
      String m = error("store = postgresql\ndb_user = lw\ndb_url = " + url).getMessage();
      assertTrue(m.contains("must not hold a password") && !m.contains(secret), m);
    }
    assertTrue(error("store = mysql").getMessage().contains("expected file or postgresql"));
    assertTrue(error("store = postgresql\ndb_user = lw\ndb_url = jdbc:postgresql://db/lw\n"
        + "host_timeout = 2s").getMessage().contains("expected 5s to 1h"));
    assertTrue(error("store = postgresql\ndb_user = lw\ndb_url = jdbc:postgresql://db/lw\n"
        + "db_timeout = 31s").getMessage().contains("at most 30s"));
    assertTrue(error("store = postgresql\ndb_user = 'x; drop'\ndb_url = jdbc:postgresql://db/lw")
        .getMessage().contains("expected a database role"));
  }
}
