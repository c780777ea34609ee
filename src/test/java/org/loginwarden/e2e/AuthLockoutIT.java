package org.loginwarden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.loginwarden.core.Lock;
import org.loginwarden.core.UserState;

/**
 * Failed-login lockout through a real sshd whose PAM service has loginwarden's auth lines
 * around {@code @include common-auth}, with real {@code sshpass} password attempts; and
 * {@code pamtester} against the same PAM service where sshd cannot show it: a console login,
 * and the hook's own backoff delay without OpenSSH's padding of failed attempts.
 *
 * <p>Scaled down: 3 failures lock for 10 s, and no backoff before the lock (threshold 3);
 * the backoff tests raise the limit for their own user in a [user] section.
 */
class AuthLockoutIT extends SshdTestBase {

  static final Path PAMTESTER = Path.of("/usr/bin/pamtester");
  static final String WRONG = "not-the-password";

  @Override
  String loginwardenConfig() {
    return String.join("\n",
        "kill_grace = 2s",
        "auth_failures = 3",
        "auth_failure_window = 15m",
        "auth_lockout = 10s",
        "backoff_threshold = 3",
        "backoff_factor = 5s",
        "console_exempt = true");
  }

  @Override
  boolean guardAuth() {
    return true;
  }

  /** One sshpass attempt; true when it got in (the command ran). */
  boolean password(TestUser u, String password) {
    Exec.Result r = clients.sshOnePassword(u.name, password, "echo got-in");
    return r.exit() == 0 && r.out().contains("got-in");
  }

  void failTimes(TestUser u, int times) {
    for (int i = 0; i < times; i++) {
      assertFalse(password(u, WRONG), "a wrong password gets in");
    }
  }

  boolean key(TestUser u) {
    Exec.Result r = clients.sshKey(u, "echo key-got-in");
    return r.exit() == 0 && r.out().contains("key-got-in");
  }

  /** Overrides for one user, appended to the running sshd's config (read at every hook). */
  void section(TestUser u, String... lines) throws IOException {
    Files.writeString(sshd.config, "\n[user " + u.name + "]\n" + String.join("\n", lines) + "\n",
        java.nio.file.StandardOpenOption.APPEND);
  }

  /** {@code pamtester} on the sshd's own PAM service; true when PAM said yes. */
  boolean pamtester(TestUser u, String password, String item, String... operations)
      throws IOException {
    Path input = sshd.dir.resolve("pamtester-" + System.nanoTime() + ".in");
    Files.writeString(input, password + "\n");
    List<String> command = new ArrayList<>(List.of(PAMTESTER.toString(), "-I", item,
        sshd.service, u.name));
    command.addAll(List.of(operations));
    Exec.Result r = Exec.run(Duration.ofSeconds(90), Map.of(), input, command);
    Files.delete(input);
    return r.exit() == 0;
  }

  static void assumePamtester() {
    boolean present = Files.isExecutable(PAMTESTER);
    if (!present && "true".equals(System.getenv("CI"))) {
      throw new AssertionError("CI=true but pamtester is not installed");
    }
    Assumptions.assumeTrue(present, "pamtester is needed");
  }

  Lock lockOf(TestUser u) {
    return sshd.state(u.name).lock();
  }

  @Test
  void wrongPasswordsLockOutTheRightPasswordAndTheKey() throws IOException {
    TestUser u = user();
    section(u, "auth_lockout = 1h"); // so that the checks below cannot race its end
    String shadowBefore = u.shadowLine();

    failTimes(u, 3);

    Lock lock = lockOf(u);
    assertEquals("auth_failures", lock.reason());
    assertFalse(password(u, u.password), "the right password during the lockout");
    assertFalse(key(u), "the SSH key during the lockout");
    assertEquals(3, sshd.state(u.name).authFailures().size(), "refusals are not counted");
    assertEquals(shadowBefore, u.shadowLine(), "a failure lockout never touches /etc/shadow");
    Exec.Result status = sshd.cli("status", u.name);
    assertEquals(0, status.exit(), status.all());
    String row = status.out().lines().filter(l -> l.startsWith(u.name + " ")).findFirst()
        .orElseThrow();
    assertTrue(row.contains(" 3/3 in 15m ") && row.contains(" auth_failures ")
        && row.matches(".* [0-9]+ min$"), "failures, reason and time left: " + status.out());
    String audit = sshd.audit();
    assertTrue(audit.contains("\"event\":\"lock\",\"user\":\"" + u.name), audit);
    assertTrue(audit.contains("account locked (auth_failures)"), "the password refusal: " + audit);
  }

  @Test
  void aTenSecondLockoutEndsByItselfAndLeavesTheShadowFileAsItWas() throws IOException {
    TestUser u = user();
    String shadowBefore = u.shadowLine();

    failTimes(u, 3);

    Lock lock = lockOf(u);
    assertEquals(lock.since().plusSeconds(10), lock.until(), "auth_lockout = 10s");
    // The key is the probe: a key login is never counted, and its account check lifts the
    // lockout once it is over.
    Exec.await(Duration.ofSeconds(40), "the lockout to end by itself", () -> key(u));
    Duration lifted = Duration.between(lock.since(), Instant.now());
    System.out.println("auth_lockout = 10s: a key login got in again " + lifted.toMillis()
        + " ms after the lock was set");
    assertTrue(lifted.compareTo(Duration.ofSeconds(10)) >= 0, lifted.toString());
    assertTrue(password(u, u.password), "the right password works again");
    UserState after = sshd.state(u.name);
    assertTrue(after.lock() == null && after.authFailures().isEmpty(),
        "lock and count are gone");
    assertEquals(shadowBefore, u.shadowLine(), "/etc/shadow is as before");
    assertTrue(sshd.audit().contains("auth_lockout elapsed"), sshd.audit());
  }

  @Test
  void aSuccessBeforeTheLimitResetsTheCount() throws IOException {
    TestUser u = user();
    failTimes(u, 2);
    assertEquals(2, sshd.state(u.name).authFailures().size());

    assertTrue(password(u, u.password));

    assertTrue(sshd.state(u.name).authFailures().isEmpty(), "the success cleared the count");
    failTimes(u, 2);
    assertNull(lockOf(u), "2 failures after the success: under the limit of 3");
    assertTrue(key(u));
  }

  @Test
  void unlockEndsALockoutEarlyAndStatusShowsIt() throws IOException {
    TestUser u = user();
    section(u, "auth_lockout = 0");
    failTimes(u, 3);
    assertNull(lockOf(u).until(), "auth_lockout = 0: until an admin unlocks");

    Exec.Result json = sshd.cli("status", "--json", u.name);
    JsonNode user = new ObjectMapper().readTree(json.out()).get("users").get(0);
    assertEquals(3, user.get("authFailures").size());
    assertEquals(3, user.get("authFailureLimit").intValue());
    assertEquals("auth_failures", user.get("lock").get("reason").textValue());
    assertTrue(user.get("lock").get("secondsLeft").isNull());
    assertFalse(user.get("lock").get("shadowLocked").booleanValue());

    Exec.Result unlock = sshd.cli("unlock", u.name);

    assertEquals(0, unlock.exit(), unlock.all());
    assertEquals(u.name + " unlocked", unlock.out().strip());
    UserState after = sshd.state(u.name);
    assertTrue(after.lock() == null && after.authFailures().isEmpty(),
        "lock and count are gone");
    assertTrue(password(u, u.password), "in at once, no lockout left to wait for");
    assertTrue(sshd.audit().contains("\"event\":\"unlock\",\"user\":\"" + u.name), sshd.audit());
  }

  @Test
  void theCountSurvivesARestartOfEverything() throws IOException {
    TestUser u = user();
    section(u, "auth_lockout = 1h");
    failTimes(u, 2);

    sshd.restartAsAfterReboot();

    assertFalse(Files.exists(sshd.runDir), "run_dir was wiped, as a reboot does to /run");
    assertEquals(2, sshd.state(u.name).authFailures().size(), "kept in state_dir");
    failTimes(u, 1);
    assertEquals("auth_failures", lockOf(u).reason(), "the third failure locks");
    assertFalse(key(u));
  }

  @Test
  void throughSshdTheDelaysGrow() throws IOException {
    TestUser u = user();
    section(u, "auth_failures = 5", "backoff_threshold = 1", "backoff_factor = 5s");

    List<Long> millis = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      long start = System.nanoTime();
      assertFalse(password(u, WRONG));
      millis.add((System.nanoTime() - start) / 1_000_000);
    }

    // OpenSSH (9.2) pads every failed attempt up to a per-user base time doubled until it
    // exceeds the time the attempt took, so through sshd the times come in steps of that
    // doubling: attempts 3 (5 s of hook delay) and 4 (10 s) may land on the same step (seen:
    // [3164, 3164, 12171, 12171] ms, and [.., 13873, 13872]: equal steps differ by a
    // millisecond either way, so no order between 3 and 4 is asserted). What sshd cannot hide:
    // 3 takes longer than the undelayed two, 3 and 4 reach their delays. The exact growth,
    // unpadded, is the pamtester test's; here the audit trail names each delay.
    System.out.println("through sshd, 4 wrong passwords took (ms): " + millis);
    assertTrue(millis.get(2) > Math.max(millis.get(0), millis.get(1)), millis.toString());
    assertTrue(millis.get(2) >= 5000 && millis.get(3) >= 10_000, millis.toString());
    List<String> attempts = sshd.audit().lines()
        .filter(l -> l.contains("\"user\":\"" + u.name + "\"") && l.contains("auth_attempt"))
        .toList();
    assertTrue(attempts.stream().anyMatch(l -> l.contains("attempt 3 of 5")
        && l.contains("delayed 5s")), attempts.toString());
    assertTrue(attempts.stream().anyMatch(l -> l.contains("attempt 4 of 5")
        && l.contains("delayed 10s")), attempts.toString());
  }

  @Test
  void withPamtesterTheHooksDelayGrowsByTheFactorEachFailure() throws IOException {
    assumePamtester();
    TestUser u = user();
    // The 5th attempt sets the lock and then still waits 15 s: the lockout must outlast it.
    section(u, "auth_failures = 5", "backoff_threshold = 1", "backoff_factor = 5s",
        "auth_lockout = 1h");

    List<Long> millis = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      long start = System.nanoTime();
      assertFalse(pamtester(u, WRONG, "rhost=127.0.0.1", "authenticate"));
      millis.add((System.nanoTime() - start) / 1_000_000);
    }

    // Attempts 1, 2: no delay (a JVM start and pam_unix's own 2 s failure delay); 3, 4, 5:
    // 5, 10, 15 s more; 6: refused at once by the lockout the 5th set.
    long baseline = (millis.get(0) + millis.get(1)) / 2;
    List<Long> delays = millis.subList(2, 5).stream().map(m -> m - baseline).toList();
    System.out.println("pamtester, 6 wrong passwords took (ms): " + millis
        + "; hook delay beyond the undelayed mean: " + delays);
    assertTrue(millis.get(2) >= 5000 && millis.get(3) >= 10_000 && millis.get(4) >= 15_000,
        millis.toString());
    assertTrue(millis.get(2) < millis.get(3) && millis.get(3) < millis.get(4),
        millis.toString());
    assertTrue(millis.get(5) < millis.get(2), "a locked user is refused without delay: " + millis);
    assertEquals("auth_failures", lockOf(u).reason());
  }

  @Test
  void aConsoleLoginPassesTheLockoutAndIsNeverCountedARemoteOneIsRefused()
      throws IOException {
    assumePamtester();
    TestUser u = user();
    section(u, "auth_lockout = 0");
    failTimes(u, 3);
    UserState locked = sshd.state(u.name);
    assertEquals("auth_failures", locked.lock().reason());

    assertTrue(pamtester(u, u.password, "tty=/dev/tty1", "authenticate", "acct_mgmt"),
        "the console, auth and account phase, during the lockout");
    assertFalse(pamtester(u, WRONG, "tty=/dev/tty1", "authenticate"));
    assertFalse(pamtester(u, u.password, "rhost=127.0.0.1", "authenticate"),
        "a remote password during the lockout");
    assertFalse(pamtester(u, u.password, "rhost=127.0.0.1", "acct_mgmt"),
        "a remote account check (what an SSH key gets) during the lockout");

    assertEquals(locked, sshd.state(u.name), "the console neither counted nor lifted anything");
    assertTrue(sshd.audit().contains("\"event\":\"console\",\"user\":\"" + u.name),
        sshd.audit());
  }

  @Test
  void namesThatAreNoAccountsGetNoFileAndRootIsNeverLocked() throws Exception {
    SecureRandom random = new SecureRandom();
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      names.add("nx" + HexFormat.of().formatHex(random.generateSeed(4)));
    }
    List<String> everyone = new ArrayList<>(names);
    everyone.addAll(List.of("root", "root", "root", "root"));

    // Attempts at once: the store must not care, and the test need not wait for each.
    List<CompletableFuture<Exec.Result>> attempts = everyone.stream()
        .map(n -> CompletableFuture.supplyAsync(() -> clients.sshOnePassword(n, WRONG, "true")))
        .toList();
    for (CompletableFuture<Exec.Result> a : attempts) {
      assertNotEquals(0, a.get().exit());
    }

    String audit = sshd.audit();
    for (String n : names) {
      assertTrue(audit.contains("\"user\":\"" + n + "\"") && audit.contains(
          "no such account: not counted"), "audited: " + n);
      assertTrue(sshd.state(n).isEmpty());
    }
    List<String> strays = new ArrayList<>();
    for (Path top : List.of(sshd.stateDir, sshd.runDir)) {
      try (Stream<Path> files = Files.walk(top)) {
        files.map(p -> p.getFileName().toString())
            .filter(f -> f.startsWith("nx") || f.startsWith("root")).forEach(strays::add);
      }
    }
    assertEquals(List.of(), strays, "no file, not even a lock file, for them or root");
    assertTrue(audit.contains("root: never counted or locked"), audit);
    assertNull(sshd.state("root").lock());
    Exec.Result rootKey = Exec.run(Duration.ofSeconds(60), Map.of(), List.of("/usr/bin/ssh",
        "-p", Integer.toString(sshd.port), "-i", sshd.rootKey.toString(),
        "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=no",
        "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
        "root@127.0.0.1", "echo root-got-in"));
    assertTrue(rootKey.out().contains("root-got-in"), "root still gets in: " + rootKey.all());
  }
}
