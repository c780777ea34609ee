package org.loginwarden.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AuthFailureRulesTest {

  private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
  private static final String USER = "alice";
  private static final Session ORIGIN = new Session(4321, 77, Session.NO_AUDIT_SESSION, "sshd",
      "192.0.2.9", 50123, "ssh", null, null, NOW, null);

  /** 3 failures in 15m lock for 10s; backoff past 2 failures, 5s per failure. */
  private static AuthPolicy policy() {
    return policy(3, "15m", "10s", 2, "5s");
  }

  private static AuthPolicy policy(int failures, String window, String lockout, int threshold,
      String factor) {
    return new AuthPolicy(failures, Durations.parse(window), Durations.parse(lockout), threshold,
        Durations.parse(factor), true);
  }

  private static UserState failedAt(Instant... times) {
    return UserState.empty(USER).withAuthFailures(List.of(times));
  }

  private static List<String> events(Decision d) {
    return d.audit().stream().map(AuditRecord::event).toList();
  }

  private static AuthFailureRules.Check attempt(UserState state, AuthPolicy policy) {
    return AuthFailureRules.attempt(state, policy, false, ORIGIN, NOW);
  }

  @Nested
  class Counting {

    @Test
    void theFirstAttemptIsCountedUntilItSucceedsAndWaitsForNothing() {
      AuthFailureRules.Check c = attempt(UserState.empty(USER), policy());

      assertTrue(c.decision().allow());
      assertEquals(Duration.ZERO, c.delay());
      assertEquals(List.of(NOW), c.decision().next().authFailures());
      assertNull(c.decision().next().lock());
      assertEquals(List.of("auth_attempt"), events(c.decision()));
      AuditRecord r = c.decision().audit().get(0);
      assertEquals("attempt 1 of 3 within 15m, counted as failed unless it succeeds",
          r.reason());
      assertEquals(ORIGIN, r.session());
      assertEquals(AuditRecord.BY_LOGINWARDEN, r.by());
      assertEquals(List.of(), c.decision().actions());
    }

    @Test
    void failuresOlderThanTheWindowNoLongerCount() {
      UserState state = failedAt(NOW.minus(Duration.ofMinutes(16)),
          NOW.minus(Duration.ofMinutes(15)), NOW.minus(Duration.ofMinutes(14)));

      AuthFailureRules.Check c = attempt(state, policy());

      assertEquals(List.of(NOW.minus(Duration.ofMinutes(14)), NOW),
          c.decision().next().authFailures(), "exactly 15m old is outside the window");
      assertNull(c.decision().next().lock());
    }

    @Test
    void theCountIsBoundedWhateverTheHistory() {
      List<Instant> many = new ArrayList<>();
      for (int i = 0; i < 500; i++) {
        many.add(NOW.minusSeconds(500 - i));
      }
      UserState state = UserState.empty(USER).withAuthFailures(many);

      AuthFailureRules.Check c = attempt(state, policy(100, "1h", "10s", 3, "5s"));

      assertEquals(100, c.decision().next().authFailures().size());
      assertEquals(NOW, c.decision().next().authFailures().get(99), "the newest is kept");
      assertEquals(AuthFailureRules.LOCK_REASON, c.decision().next().lock().reason());
    }

    @Test
    void aSuccessBeforeTheLimitStartsTheCountAgain() {
      UserState twoFailed = failedAt(NOW.minusSeconds(20), NOW.minusSeconds(10));

      Decision ok = AuthFailureRules.succeeded(twoFailed, ORIGIN, NOW);
      AuthFailureRules.Check next = attempt(ok.next(), policy());

      assertTrue(ok.allow());
      assertEquals(List.of(), ok.next().authFailures());
      assertEquals(List.of("auth_success"), events(ok));
      assertEquals("authenticated: 2 counted attempt(s) cleared", ok.audit().get(0).reason());
      assertEquals(List.of(NOW), next.decision().next().authFailures());
      assertNull(next.decision().next().lock());
    }

    @Test
    void countingOffChangesNothingAndAuditsNothing() {
      UserState state = failedAt(NOW.minusSeconds(5));

      AuthFailureRules.Check c = attempt(state, policy(0, "15m", "10s", 2, "5s"));

      assertTrue(c.decision().allow());
      assertSame(state, c.decision().next());
      assertEquals(List.of(), c.decision().audit());
    }
  }

  @Nested
  class Lockout {

    @Test
    void theNthFailureLocksForTheLockoutWithoutTouchingTheShadowFile() {
      UserState state = failedAt(NOW.minusSeconds(30), NOW.minusSeconds(20));

      AuthFailureRules.Check c = attempt(state, policy());

      assertTrue(c.decision().allow(), "the Nth attempt itself is still checked");
      Lock lock = c.decision().next().lock();
      assertEquals(new Lock(NOW, NOW.plusSeconds(10), "auth_failures", "loginwarden", null),
          lock);
      assertEquals(List.of("auth_attempt", "lock"), events(c.decision()));
      assertEquals("failed login 3 of 3 within 15m: locked for 10s unless this attempt "
          + "succeeds", c.decision().audit().get(1).reason());
      assertFalse(c.decision().has(Action.LockAccount.class), "never usermod");
      assertEquals(List.of(), c.decision().actions());
    }

    @Test
    void aLockoutOfZeroLastsUntilUnlocked() {
      UserState state = failedAt(NOW.minusSeconds(30), NOW.minusSeconds(20));

      Lock lock = attempt(state, policy(3, "15m", "0", 2, "5s")).decision().next().lock();

      assertNull(lock.until());
      assertTrue(lock.activeAt(NOW.plus(Duration.ofDays(3650))));
    }

    @Test
    void aLockedUserIsRefusedAtOnceAndNotCounted() {
      Lock lock = new Lock(NOW.minusSeconds(3), NOW.plusSeconds(7), "auth_failures",
          "loginwarden", null);
      UserState state = failedAt(NOW.minusSeconds(9), NOW.minusSeconds(6), NOW.minusSeconds(3))
          .withLock(lock);

      AuthFailureRules.Check c = attempt(state, policy());

      assertFalse(c.decision().allow());
      assertEquals(Duration.ZERO, c.delay(), "refused at once, no backoff");
      assertSame(state, c.decision().next());
      assertEquals(List.of("refuse"), events(c.decision()));
      assertEquals("account locked (auth_failures) for 7 s more",
          c.decision().audit().get(0).reason());
      assertEquals("loginwarden: account alice is locked for 7 s more", c.decision().message());
    }

    @Test
    void anyActiveLockRefusesEvenWithCountingOff() {
      UserState state = UserState.empty(USER).withLock(new Lock(NOW, null, "admin", "root",
          null));

      AuthFailureRules.Check c = attempt(state, policy(0, "15m", "10s", 2, "5s"));

      assertFalse(c.decision().allow());
      assertEquals("account locked (admin) until unlocked", c.decision().audit().get(0).reason());
    }

    @Test
    void anExpiredLockLeftInPlaceIsNeverOverwritten() {
      // The caller lifts expired locks first; should one remain, what it saved for
      // /etc/shadow must survive.
      Lock old = new Lock(NOW.minusSeconds(100), NOW.minusSeconds(1), "violations",
          "loginwarden", new SavedAccount(false, ""));
      UserState state = failedAt(NOW.minusSeconds(30), NOW.minusSeconds(20)).withLock(old);

      AuthFailureRules.Check c = attempt(state, policy());

      assertSame(old, c.decision().next().lock());
      assertEquals(3, c.decision().next().authFailures().size());
    }

    @Test
    void aSuccessLiftsAFailureLockButNoOther() {
      Lock failures = new Lock(NOW, NOW.plusSeconds(10), "auth_failures", "loginwarden", null);
      Lock admin = new Lock(NOW, null, "admin", "root", null);

      Decision lifted = AuthFailureRules.succeeded(failedAt(NOW).withLock(failures), ORIGIN,
          NOW);
      Decision kept = AuthFailureRules.succeeded(failedAt(NOW).withLock(admin), ORIGIN, NOW);

      assertNull(lifted.next().lock());
      assertEquals(List.of("auth_success", "unlock"), events(lifted));
      assertEquals(admin, kept.next().lock());
      assertEquals(List.of("auth_success"), events(kept));
    }

    @Test
    void aSuccessWithNothingCountedDecidesNothing() {
      Decision d = AuthFailureRules.succeeded(UserState.empty(USER), ORIGIN, NOW);

      assertEquals(UserState.empty(USER), d.next());
      assertEquals(List.of(), d.audit());
    }
  }

  @Nested
  class Backoff {

    @ParameterizedTest(name = "{0} failure(s), threshold {1}, factor {2}: wait {3}")
    @CsvSource({
        "0, 2, 5s, 0s", "1, 2, 5s, 0s", "2, 2, 5s, 0s",
        "3, 2, 5s, 5s", "4, 2, 5s, 10s", "5, 2, 5s, 15s", "6, 2, 5s, 20s",
        "1, 1, 5s, 0s", "2, 1, 5s, 5s", "3, 1, 5s, 10s", "4, 1, 5s, 15s",
        "3, 3, 10s, 0s", "4, 3, 10s, 10s", "5, 3, 10s, 20s",
        "8, 1, 10s, 60s", "99, 1, 10s, 60s"})
    void theDelayGrowsByTheFactorForEachFailurePastTheThreshold(int failures, int threshold,
        String factor, String delay) {
      AuthPolicy p = policy(100, "15m", "10s", threshold, factor);

      assertEquals(Durations.parse(delay), AuthFailureRules.delayAfter(failures, p));
    }

    @Test
    void eachAttemptWaitsForTheFailuresBeforeIt() {
      // A clock stepping 1s per attempt; 6 failures lock, backoff past 1, 5s per failure.
      AuthPolicy p = policy(6, "15m", "10s", 1, "5s");
      UserState state = UserState.empty(USER);
      List<Duration> waited = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        AuthFailureRules.Check c = AuthFailureRules.attempt(state, p, false, ORIGIN,
            NOW.plusSeconds(i));
        waited.add(c.delay());
        state = c.decision().next();
      }

      assertEquals(List.of(Duration.ZERO, Duration.ZERO, Duration.ofSeconds(5),
          Duration.ofSeconds(10), Duration.ofSeconds(15), Duration.ofSeconds(20)), waited);
      assertEquals(NOW.plusSeconds(5), state.lock().since());
      AuthFailureRules.Check locked = AuthFailureRules.attempt(state, p, false, ORIGIN,
          NOW.plusSeconds(6));
      assertFalse(locked.decision().allow());
      assertEquals(Duration.ZERO, locked.delay());
    }

    @Test
    void theAuditSaysHowLongTheAttemptWaits() {
      UserState state = failedAt(NOW.minusSeconds(3), NOW.minusSeconds(2), NOW.minusSeconds(1));

      AuthFailureRules.Check c = attempt(state, policy(5, "15m", "10s", 2, "5s"));

      assertEquals(Duration.ofSeconds(5), c.delay());
      assertTrue(c.decision().audit().get(0).reason().endsWith("; delayed 5s"),
          c.decision().audit().get(0).reason());
    }
  }

  @Nested
  class DryRun {

    @Test
    void countsAndAuditsButLocksNothingAndWaitsForNothing() {
      UserState state = failedAt(NOW.minusSeconds(30), NOW.minusSeconds(20));

      AuthFailureRules.Check c = AuthFailureRules.attempt(state, policy(3, "15m", "10s", 1,
          "5s"), true, ORIGIN, NOW);

      assertTrue(c.decision().allow());
      assertEquals(Duration.ZERO, c.delay());
      assertNull(c.decision().next().lock());
      assertEquals(3, c.decision().next().authFailures().size());
      assertEquals(List.of("auth_attempt", "lock"), events(c.decision()));
      assertTrue(c.decision().audit().stream().allMatch(AuditRecord::dryRun));
      assertTrue(c.decision().audit().get(0).reason().endsWith("delayed 5s (not applied)"));
    }

    @Test
    void refusesNobody() {
      UserState state = UserState.empty(USER).withLock(new Lock(NOW, null, "admin", "root",
          null));

      AuthFailureRules.Check c = AuthFailureRules.attempt(state, policy(), true, ORIGIN, NOW);

      assertTrue(c.decision().allow());
      assertNull(c.decision().message());
      assertTrue(c.decision().audit().get(0).dryRun());
    }
  }

  @Nested
  class Console {

    @ParameterizedTest(name = "rhost {0}, tty {1}: console {2}")
    @CsvSource(nullValues = "null", value = {
        "null, /dev/tty1, true", "null, tty1, true", "'', tty6, true", "null, ttyS0, true",
        "null, /dev/ttyS1, true", "null, console, true", "null, /dev/console, true",
        "null, ttyAMA0, true", "null, hvc0, true",
        "127.0.0.1, tty1, false", "host.example, /dev/tty1, false", "null, ssh, false",
        "null, pts/0, false", "null, /dev/pts/3, false", "null, null, false",
        "null, tty, false", "null, /dev/tty1x, false", "null, :0, false"})
    void aLocalTerminalWithNoRemoteHost(String rhost, String tty, boolean console) {
      assertEquals(console, AuthFailureRules.isConsole(rhost, tty));
    }

    @Test
    void onlyAFailureLockSparesTheConsoleAndOnlyWhenExempt() {
      Lock failures = new Lock(NOW, null, "auth_failures", "loginwarden", null);
      Lock violations = new Lock(NOW, null, "violations", "loginwarden", null);
      AuthPolicy exempt = policy();
      AuthPolicy notExempt = new AuthPolicy(3, Duration.ofMinutes(15), Duration.ofSeconds(10),
          2, Duration.ofSeconds(5), false);

      assertTrue(AuthFailureRules.sparesConsole(failures, exempt, null, "/dev/tty1"));
      assertFalse(AuthFailureRules.sparesConsole(violations, exempt, null, "/dev/tty1"),
          "a violation lock also locks the hash: the console is refused by pam_unix anyway");
      assertFalse(AuthFailureRules.sparesConsole(failures, notExempt, null, "/dev/tty1"));
      assertFalse(AuthFailureRules.sparesConsole(failures, exempt, "192.0.2.9", "ssh"));
      assertFalse(AuthFailureRules.sparesConsole(null, exempt, null, "/dev/tty1"));
    }
  }

  @Nested
  class WithTheDecider {

    private final Decider decider = new Decider();

    @Test
    void anExpiredLockoutLiftsByItselfAndClearsTheCount() {
      Lock lock = new Lock(NOW.minusSeconds(10), NOW, "auth_failures", "loginwarden", null);
      UserState state = failedAt(NOW.minusSeconds(12), NOW.minusSeconds(11),
          NOW.minusSeconds(10)).withLock(lock);

      Decision d = decider.refresh(state, Map.of(), NOW);

      assertNull(d.next().lock());
      assertEquals(List.of(), d.next().authFailures());
      assertEquals("auth_lockout elapsed", d.audit().get(0).reason());
      assertEquals(List.of(), d.actions(), "nothing to restore: /etc/shadow was never touched");
    }

    @Test
    void theAccountHookRefusesALockoutSoKeysAreRefusedToo() {
      Lock lock = new Lock(NOW, NOW.plusSeconds(10), "auth_failures", "loginwarden", null);

      Decision d = decider.account(failedAt(NOW).withLock(lock),
          new Policy(1, OnViolation.KICK_ALL, 3, Duration.ofMinutes(10), Duration.ZERO, false),
          NOW.plusSeconds(9));

      assertFalse(d.allow());
    }

    @Test
    void unlockEndsALockoutAndClearsTheCount() {
      Lock lock = new Lock(NOW, null, "auth_failures", "loginwarden", null);

      Decision d = decider.unlock(failedAt(NOW, NOW, NOW).withLock(lock), "root", NOW);

      assertNull(d.next().lock());
      assertEquals(List.of(), d.next().authFailures());
      assertTrue(d.next().isEmpty());
      assertEquals(List.of(), d.actions());
    }

    @Test
    void unlockWithoutALockStillClearsTheCount() {
      Decision d = decider.unlock(failedAt(NOW), "root", NOW);

      assertEquals(List.of(), d.next().authFailures());
      assertEquals("alice was not locked; violations and failed logins cleared", d.message());
      assertEquals(List.of("unlock"), events(d));
    }
  }
}
