package org.loginwarden.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.loginwarden.account.AccountDirectory;
import org.loginwarden.account.AccountException;
import org.loginwarden.account.AccountLocker;
import org.loginwarden.config.Config;
import org.loginwarden.config.ConfigParser;
import org.loginwarden.core.Lock;
import org.loginwarden.core.SavedAccount;
import org.loginwarden.core.UserState;
import org.loginwarden.pam.PamEnvironment;
import org.loginwarden.proc.ActivityProbe;
import org.loginwarden.proc.ProcessInfo;
import org.loginwarden.proc.ProcfsProcessTable;
import org.loginwarden.proc.SessionTerminator;
import org.loginwarden.proc.Terminals;
import org.loginwarden.store.FileStateStore;
import org.loginwarden.store.StateStore;

/**
 * The auth-phase use cases against the real file store in a scratch directory, with a clock
 * the test moves, a sleeper that records, and account lookups the test answers.
 */
class AuthGuardTest {

  private static final Instant T0 = Instant.parse("2026-03-01T12:00:00Z");
  private static final ProcessInfo SSHD = new ProcessInfo(4321, 1, 'S', 4321, 99, 0,
      4294967295L);
  private static final String USER = "alice";

  @TempDir Path dir;

  private Instant now = T0;
  private final Clock clock = new Clock() {
    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  };
  private final List<Duration> slept = new ArrayList<>();
  private final List<String> lookedUp = new ArrayList<>();
  private Set<String> accounts = Set.of(USER, "bob", "ops1");
  private AccountException lookupFails;
  private Config config;
  private FileStateStore store;
  private Warden warden;
  private AuthGuard guard;

  /** The scratch store, loginwarden's config with {@code extra}, and a guard on them. */
  private void start(String extra) throws Exception {
    config = ConfigParser.parse("test.conf", String.join("\n",
        "state_dir = " + dir.resolve("state"),
        "run_dir = " + dir.resolve("run"),
        "audit_log = " + dir.resolve("audit.jsonl"),
        "log_file =",
        "exempt_users = root ops1",
        extra, "").getBytes(StandardCharsets.UTF_8));
    store = FileStateStore.open(config.stateDir(), config.runDir(), config.lockTimeout(), true,
        clock, line -> { });
    AccountLocker neverUsed = new AccountLocker() {
      @Override
      public SavedAccount read(String user) {
        throw new AssertionError("a failure lockout must never read /etc/shadow");
      }

      @Override
      public void lock(String user) {
        throw new AssertionError("a failure lockout must never run usermod");
      }

      @Override
      public void restore(String user, SavedAccount saved) {
        throw new AssertionError("a failure lockout has nothing to restore");
      }
    };
    ProcfsProcessTable proc = new ProcfsProcessTable(Path.of("/proc"));
    warden = new Warden(config, store, new SessionTerminator(proc), neverUsed,
        new org.loginwarden.audit.AuditLog(config.auditLog(), "test", clock),
        user -> List.of(), (sessions, refused) -> {
          throw new AssertionError("nothing is ended in the auth phase");
        }, new ActivityProbe(proc, new Terminals()), new Terminals(), clock);
    AccountDirectory directory = user -> {
      lookedUp.add(user);
      if (lookupFails != null) {
        throw lookupFails;
      }
      return accounts.contains(user);
    };
    guard = new AuthGuard(warden, config, directory, delay -> {
      // The store must be free while an attempt waits: another login may not queue behind it.
      try (StateStore.Transaction tx = store.begin(USER)) {
        slept.add(delay);
      } catch (org.loginwarden.store.StoreException e) {
        throw new AssertionError("the store was still locked while waiting", e);
      }
    }, clock);
  }

  private static PamEnvironment remote(String user) {
    return new PamEnvironment("auth", user, "sshd", "192.0.2.9", 50123, "ssh", null, null);
  }

  private static PamEnvironment console(String user) {
    return new PamEnvironment("auth", user, "sshd", null, 0, "/dev/tty1", null, null);
  }

  private boolean check(String user) throws Exception {
    return guard.check(remote(user), SSHD).allow();
  }

  private UserState state(String user) throws Exception {
    return store.peek(user);
  }

  private List<String> audit() throws IOException {
    Path log = config.auditLog();
    return Files.exists(log) ? Files.readAllLines(log) : List.of();
  }

  private long filesUnder(String sub) throws IOException {
    Path p = dir.resolve(sub);
    if (!Files.exists(p)) {
      return 0;
    }
    try (Stream<Path> files = Files.walk(p)) {
      return files.filter(Files::isRegularFile).count();
    }
  }

  @Test
  void nFailedAttemptsLockWithoutTouchingTheShadowFileAndTheNextIsRefusedAtOnce()
      throws Exception {
    start("auth_failures = 3\nauth_lockout = 10s\nbackoff_threshold = 3");

    for (int i = 0; i < 3; i++) {
      assertTrue(check(USER), "attempt " + (i + 1) + " is checked by pam_unix");
      now = now.plusSeconds(1);
    }
    Lock lock = state(USER).lock();
    boolean fourth = check(USER);

    assertEquals(new Lock(T0.plusSeconds(2), T0.plusSeconds(12), "auth_failures", "loginwarden",
        null), lock);
    assertFalse(fourth);
    assertEquals(3, state(USER).authFailures().size(), "a refused attempt is not counted");
    assertEquals(List.of(), slept);
    assertTrue(audit().get(4).contains("\"event\":\"refuse\""), audit().get(4));
    assertTrue(audit().get(4).contains("\"rhost\":\"192.0.2.9\""), audit().get(4));
  }

  @Test
  void eachAttemptPastTheThresholdWaitsLongerAndOnlyAfterTheStoreIsFree() throws Exception {
    start("auth_failures = 5\nbackoff_threshold = 1\nbackoff_factor = 5s");

    for (int i = 0; i < 5; i++) {
      assertTrue(check(USER));
      now = now.plusSeconds(1);
    }

    assertEquals(List.of(Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(15)),
        slept, "attempts 1 and 2 wait nothing, 3 to 5 wait 5 s more each");
    assertEquals("auth_failures", state(USER).lock().reason());
  }

  @Test
  void aSuccessBeforeTheLimitClearsTheCountAndLeavesNoFile() throws Exception {
    start("auth_failures = 3");
    check(USER);
    check(USER);

    guard.succeeded(remote(USER), SSHD);
    check(USER);
    check(USER);

    assertEquals(2, state(USER).authFailures().size(), "counting started again");
    assertNull(state(USER).lock());
    guard.succeeded(remote(USER), SSHD);
    assertTrue(state(USER).isEmpty());
    assertEquals(0, filesUnder("state/users"), "nothing counted, nothing kept");
  }

  @Test
  void aRightPasswordOnTheNthAttemptLiftsTheLockItSet() throws Exception {
    start("auth_failures = 2");
    check(USER);
    check(USER);
    assertEquals("auth_failures", state(USER).lock().reason());

    guard.succeeded(remote(USER), SSHD);

    assertTrue(state(USER).isEmpty());
    assertTrue(audit().stream().anyMatch(l -> l.contains("\"event\":\"unlock\"")
        && l.contains("authenticated before the lockout took hold")));
  }

  @Test
  void theLockoutEndsByItselfAndTheCountStartsAgain() throws Exception {
    start("auth_failures = 2\nauth_lockout = 10s");
    check(USER);
    check(USER);
    now = now.plusSeconds(9);
    assertFalse(check(USER), "9 s into a 10 s lockout");

    now = now.plusSeconds(1);

    assertTrue(check(USER));
    assertNull(state(USER).lock());
    assertEquals(List.of(now), state(USER).authFailures());
    assertTrue(audit().stream().anyMatch(l -> l.contains("auth_lockout elapsed")));
  }

  @Test
  void theCountIsKeptInStateDirAcrossARestartThatWipesRunDir() throws Exception {
    start("auth_failures = 3");
    check(USER);
    check(USER);
    new ProcessBuilder("/bin/rm", "-rf", dir.resolve("run").toString()).start().waitFor();

    start("auth_failures = 3");
    check(USER);

    assertEquals("auth_failures", state(USER).lock().reason());
  }

  @Test
  void tenThousandNamesThatAreNoAccountsLeaveNoFileAtAll() throws Exception {
    start("auth_failures = 3");
    SecureRandom random = new SecureRandom();
    String chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@+-";
    for (int i = 0; i < 10_000; i++) {
      StringBuilder name = new StringBuilder("x");
      for (int n = random.nextInt(32); n >= 0; n--) {
        name.append(chars.charAt(random.nextInt(chars.length())));
      }
      assertTrue(check(name.toString()), "pam_unix refuses them, not loginwarden");
    }

    assertEquals(0, filesUnder("state"), "state_dir did not grow");
    assertEquals(0, filesUnder("run"), "not even a lock file in run_dir");
    assertEquals(10_000, lookedUp.size());
    List<String> audit = audit();
    assertEquals(10_000, audit.size(), "each is audited");
    assertTrue(audit.stream().allMatch(l -> l.contains("no such account: not counted")));
  }

  @Test
  void rootIsNeverCountedNorLockedNorLookedUp() throws Exception {
    start("auth_failures = 1");

    for (int i = 0; i < 20; i++) {
      assertTrue(check("root"));
    }

    assertTrue(state("root").isEmpty());
    assertEquals(0, filesUnder("state"));
    assertEquals(List.of(), lookedUp);
    assertTrue(audit().get(0).contains("root: never counted or locked"), audit().get(0));
  }

  @Test
  void exemptUsersAreNotCounted() throws Exception {
    start("auth_failures = 1");

    assertTrue(check("ops1"));
    assertTrue(check("ops1"));

    assertTrue(state("ops1").isEmpty());
  }

  @Test
  void aFailingLookupLetsTheAttemptGoOnUncountedAndSaysSo() throws Exception {
    start("auth_failures = 1");
    lookupFails = new AccountException("cannot look up bob: getent: timeout");

    assertTrue(check("bob"));

    assertTrue(state("bob").isEmpty());
    assertEquals(0, filesUnder("run"));
    assertTrue(audit().get(0).contains("\"event\":\"error\""), audit().get(0));
  }

  @Test
  void aUserWithStateIsCountedWithoutAskingNssAgain() throws Exception {
    start("auth_failures = 3");
    check(USER);

    check(USER);

    assertEquals(List.of(USER), lookedUp, "the first attempt asked; the file answers now");
  }

  @Test
  void withCountingOffNothingIsLookedUpOrWritten() throws Exception {
    start("auth_failures = 0");

    assertTrue(check(USER));

    assertEquals(List.of(), lookedUp);
    assertEquals(List.of(), audit());
    assertEquals(0, filesUnder("state") + filesUnder("run"));
  }

  @Test
  void anAdminLockIsRefusedBeforeThePasswordEvenWithCountingOff() throws Exception {
    start("auth_failures = 0");
    try (StateStore.Transaction tx = store.begin(USER)) {
      tx.write(UserState.empty(USER).withLock(new Lock(now, null, "admin", "root", null)));
    }

    assertFalse(check(USER));
  }

  @Test
  void theConsoleIsNeitherCountedNorRefusedAndKeepsTheRemoteLockout() throws Exception {
    start("auth_failures = 2");
    check(USER);
    check(USER);
    UserState locked = state(USER);

    assertTrue(guard.check(console(USER), SSHD).allow());
    guard.succeeded(console(USER), SSHD);

    assertEquals(locked, state(USER), "a console success lifts no remote lockout");
    assertFalse(check(USER));
  }

  @Test
  void withoutTheConsoleExemptionTheConsoleIsRefusedToo() throws Exception {
    start("auth_failures = 2\nconsole_exempt = no");
    check(USER);
    check(USER);

    assertFalse(guard.check(console(USER), SSHD).allow());
  }

  @Test
  void theAccountHookLetsTheConsolePassAFailureLockoutOnly() throws Exception {
    start("auth_failures = 2");
    check(USER);
    check(USER);
    PamEnvironment consoleAccount = new PamEnvironment("account", USER, "sshd", null, 0,
        "/dev/tty1", null, null);
    PamEnvironment remoteAccount = new PamEnvironment("account", USER, "sshd", "192.0.2.9",
        50123, "ssh", "publickey", null);

    assertTrue(warden.account(consoleAccount).allow());
    assertFalse(warden.account(remoteAccount).allow(), "an SSH key is refused");
    assertTrue(audit().stream().anyMatch(l -> l.contains("\"event\":\"console\"")));
  }

  @Test
  void dryRunCountsButNeitherWaitsNorLocks() throws Exception {
    start("auth_failures = 2\nbackoff_threshold = 1\ndry_run = yes");

    for (int i = 0; i < 4; i++) {
      assertTrue(check(USER));
    }

    assertEquals(List.of(), slept);
    assertNull(state(USER).lock());
    assertTrue(audit().stream().anyMatch(l -> l.contains("\"event\":\"lock\"")
        && l.contains("\"dryRun\":true")));
  }
}
