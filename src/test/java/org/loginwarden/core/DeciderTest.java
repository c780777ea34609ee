package org.loginwarden.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class DeciderTest {

  private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
  private static final String USER = "alice";
  private static final String ADMIN = "bob";
  private static final SavedAccount SAVED = new SavedAccount(false, "");

  private final Decider decider = new Decider();

  private static Session session(long pid) {
    return new Session(pid, pid * 10, 100 + pid, "sshd", "192.0.2.1", 50000, "ssh",
        "publickey", null, NOW.minusSeconds(3600), null);
  }

  private static final Session INCOMING = session(99);

  private static Policy policy(int max, OnViolation on, int violations, String window,
      String lockTime, boolean dryRun) {
    return new Policy(max, on, violations, Durations.parse(window), Durations.parse(lockTime),
        dryRun);
  }

  /** The documented defaults: one session, kick_all, 3 violations in 10m, lock until unlocked. */
  private static Policy defaults() {
    return policy(1, OnViolation.KICK_ALL, 3, "10m", "0", false);
  }

  private static UserState state(List<Session> sessions, List<Instant> violations, Lock lock) {
    return new UserState(USER, sessions, violations, lock);
  }

  private static List<String> events(Decision d) {
    return d.audit().stream().map(AuditRecord::event).toList();
  }

  private static Map<SessionKey, Presence> presence(List<Session> sessions, Presence... states) {
    Map<SessionKey, Presence> out = new HashMap<>();
    for (int i = 0; i < states.length; i++) {
      out.put(sessions.get(i).key(), states[i]);
    }
    return out;
  }

  @Nested
  class Open {

    @Test
    void aSecondOpenOfTheSameSessionIsNotAViolationAgainstItself() {
      UserState recorded = state(List.of(INCOMING), List.of(), null);

      Decision d = decider.open(recorded, INCOMING, Map.of(), defaults(), NOW);

      assertTrue(d.allow());
      assertEquals(List.of(INCOMING), d.next().sessions());
      assertEquals(List.of("open"), events(d));
    }

    @Test
    void firstLoginIsAllowedAndRecorded() {
      Decision d = decider.open(UserState.empty(USER), INCOMING, Map.of(), defaults(), NOW);

      assertTrue(d.allow());
      assertNull(d.message());
      assertEquals(List.of(INCOMING), d.next().sessions());
      assertEquals(List.of(), d.actions());
      assertEquals(List.of("open"), events(d));
      AuditRecord open = d.audit().get(0);
      assertEquals(USER, open.user());
      assertEquals(INCOMING, open.session());
      assertEquals(AuditRecord.BY_LOGINWARDEN, open.by());
      assertFalse(open.dryRun());
      assertEquals("1 of 1", open.reason());
    }

    static Stream<Arguments> counting() {
      // presences of the recorded sessions (null: not in the map), max_sessions, allowed?
      return Stream.of(
          Arguments.of(new Presence[] {Presence.LIVE}, 1, false),
          Arguments.of(new Presence[] {Presence.SETTLING}, 1, false),
          Arguments.of(new Presence[] {null}, 1, false),
          Arguments.of(new Presence[] {Presence.CLOSING}, 1, true),
          Arguments.of(new Presence[] {Presence.GONE}, 1, true),
          Arguments.of(new Presence[] {Presence.LIVE}, 2, true),
          Arguments.of(new Presence[] {Presence.LIVE, Presence.SETTLING}, 2, false),
          Arguments.of(new Presence[] {Presence.LIVE, Presence.CLOSING}, 2, true),
          Arguments.of(new Presence[] {Presence.LIVE, Presence.GONE}, 2, true),
          Arguments.of(new Presence[] {null, null}, 2, false),
          Arguments.of(new Presence[] {Presence.CLOSING, Presence.CLOSING, Presence.GONE}, 1,
              true),
          Arguments.of(new Presence[] {Presence.LIVE, Presence.LIVE, Presence.LIVE}, 3, false));
    }

    @ParameterizedTest(name = "{0} with max_sessions {1}: allowed {2}")
    @MethodSource("counting")
    void countsLiveAndSettlingSessionsOnly(Presence[] states, int max, boolean allowed) {
      List<Session> recorded = new ArrayList<>();
      Map<SessionKey, Presence> presence = new HashMap<>();
      for (int i = 0; i < states.length; i++) {
        Session s = session(i + 1);
        recorded.add(s);
        if (states[i] != null) {
          presence.put(s.key(), states[i]);
        }
      }
      Policy p = policy(max, OnViolation.REFUSE_NEW, 3, "10m", "0", false);

      Decision d = decider.open(state(recorded, List.of(), null), INCOMING, presence, p, NOW);

      assertEquals(allowed, d.allow());
      List<Session> notGone = recorded.stream()
          .filter(s -> presence.get(s.key()) != Presence.GONE).toList();
      List<Session> expected = new ArrayList<>(notGone);
      if (allowed) {
        expected.add(INCOMING);
        assertEquals(List.of("open"), events(d));
        assertEquals(List.of(), d.next().violations());
      } else {
        assertEquals(List.of(NOW), d.next().violations());
      }
      assertEquals(expected, d.next().sessions(), "gone sessions pruned, others kept");
    }

    @Test
    void kickAllEndsTheCountedSessionsAndRefusesTheNewOne() {
      Session live = session(1);
      Session settling = session(2);
      Session closing = session(3);
      List<Session> recorded = List.of(live, settling, closing);
      Policy p = policy(2, OnViolation.KICK_ALL, 3, "10m", "0", false);

      Decision d = decider.open(state(recorded, List.of(), null), INCOMING,
          presence(recorded, Presence.LIVE, Presence.SETTLING, Presence.CLOSING), p, NOW);

      assertFalse(d.allow());
      assertTrue(d.message().startsWith("loginwarden: "), d.message());
      assertTrue(d.message().contains("all of them were ended"), d.message());
      assertFalse(d.message().contains("\n"));
      assertEquals(List.of(new Action.EndSessions(List.of(live, settling)),
          new Action.EndConnection(INCOMING)), d.actions());
      assertEquals(List.of(live.endingAt(NOW), settling.endingAt(NOW), closing),
          d.next().sessions(), "counted sessions marked ending; the refused one not recorded");
      assertEquals(List.of(NOW), d.next().violations());
      assertNull(d.next().lock());
      assertEquals(List.of("violation", "kick", "kick", "refuse"), events(d));
      assertEquals(live, d.audit().get(1).session());
      assertEquals(settling, d.audit().get(2).session());
      assertEquals(INCOMING, d.audit().get(3).session());
    }

    @Test
    void refuseNewLeavesTheSessionsAlone() {
      Session live = session(1);
      Policy p = policy(1, OnViolation.REFUSE_NEW, 3, "10m", "0", false);

      Decision d = decider.open(state(List.of(live), List.of(), null), INCOMING, Map.of(), p,
          NOW);

      assertFalse(d.allow());
      assertTrue(d.message().startsWith("loginwarden: "), d.message());
      assertFalse(d.message().contains("ended"), d.message());
      assertEquals(List.of(new Action.EndConnection(INCOMING)), d.actions());
      assertEquals(List.of(live), d.next().sessions());
      assertEquals(List.of("violation", "refuse"), events(d));
    }

    @Test
    void sessionsAlreadyEndingKeepTheirFirstEndingTime() {
      Session ending = session(1).endingAt(NOW.minusSeconds(5));

      Decision d = decider.open(state(List.of(ending), List.of(), null), INCOMING, Map.of(),
          defaults(), NOW);

      assertEquals(List.of(ending), d.next().sessions());
      assertTrue(d.has(Action.EndSessions.class), "a live session is ended again");
    }

    @ParameterizedTest(name = "earlier violations {0} min ago, limit {1} in {2}: lock {3}")
    @CsvSource(delimiter = '|', value = {
        // minutes ago of the violations already stored | violations | window | locks
        "''          | 3 | 10m | false",
        "''          | 1 | 10m | true",
        "5           | 3 | 10m | false",
        "9 5         | 3 | 10m | true",
        "11 5        | 3 | 10m | false",
        "10 5        | 3 | 10m | false",
        "20 15 12 11 | 3 | 10m | false",
        "20 15 12 11 | 3 | 1h  | true",
        "-1 5        | 3 | 10m | false",
        "1 2 3 4     | 3 | 10m | true",
    })
    void theNthViolationWithinTheWindowLocks(String minutesAgo, int violations, String window,
        boolean locks) {
      List<Instant> stored = new ArrayList<>();
      int inWindow = 0;
      for (String m : minutesAgo.isBlank() ? new String[0] : minutesAgo.split(" ")) {
        Instant t = NOW.minus(Duration.ofMinutes(Long.parseLong(m)));
        stored.add(t);
        if (t.isAfter(NOW.minus(Durations.parse(window))) && !t.isAfter(NOW)) {
          inWindow++;
        }
      }
      Policy p = policy(1, OnViolation.KICK_ALL, violations, window, "0", false);

      Decision d = decider.open(state(List.of(session(1)), stored, null), INCOMING, Map.of(), p,
          NOW);

      assertFalse(d.allow());
      assertEquals(inWindow + 1, d.next().violations().size(), "old ones dropped, now added");
      assertEquals(NOW, d.next().violations().get(d.next().violations().size() - 1));
      assertEquals(locks, d.next().lock() != null);
      assertEquals(locks, d.has(Action.LockAccount.class));
      assertEquals(locks, events(d).contains("lock"));
      assertEquals(locks, d.message().contains("the account is now locked"), d.message());
    }

    @ParameterizedTest(name = "lock_time {0}")
    @CsvSource({"0, ", "1h, 2026-03-01T13:00:00Z", "90s, 2026-03-01T12:01:30Z",
        "1d, 2026-03-02T12:00:00Z"})
    void aViolationLockLastsLockTime(String lockTime, String until) {
      Policy p = policy(1, OnViolation.KICK_ALL, 1, "10m", lockTime, false);

      Decision d = decider.open(state(List.of(session(1)), List.of(), null), INCOMING, Map.of(),
          p, NOW);

      Lock lock = d.next().lock();
      assertNotNull(lock);
      assertEquals(new Lock(NOW, until == null ? null : Instant.parse(until), "violations",
          AuditRecord.BY_LOGINWARDEN, null), lock);
      assertEquals(List.of(new Action.EndSessions(List.of(session(1))), new Action.LockAccount(),
          new Action.EndConnection(INCOMING)), d.actions());
      assertEquals(List.of("violation", "kick", "lock", "refuse"), events(d));
    }

    @Test
    void keepsAtMostAHundredViolations() {
      List<Instant> stored = new ArrayList<>();
      for (int i = 150; i >= 1; i--) {
        stored.add(NOW.minusSeconds(i));
      }
      Policy p = policy(1, OnViolation.REFUSE_NEW, 1000, "1d", "0", false);

      Decision d = decider.open(state(List.of(session(1)), stored, null), INCOMING, Map.of(), p,
          NOW);

      List<Instant> kept = d.next().violations();
      assertEquals(Decider.MAX_VIOLATIONS_KEPT, kept.size());
      assertEquals(NOW, kept.get(kept.size() - 1));
      assertEquals(stored.subList(stored.size() - 99, stored.size()), kept.subList(0, 99),
          "the newest are kept");
    }

    @Test
    void theLargestThresholdTheConfigAllowsCanBeReached() {
      // ConfigParser caps violations at MAX_VIOLATIONS_KEPT: beyond it the count never gets
      // there, since older violations are dropped to make room.
      List<Instant> stored = new ArrayList<>();
      for (int i = Decider.MAX_VIOLATIONS_KEPT + 20; i >= 1; i--) {
        stored.add(NOW.minusSeconds(i));
      }
      Policy p = policy(1, OnViolation.REFUSE_NEW, Decider.MAX_VIOLATIONS_KEPT, "1d", "0",
          false);

      Decision d = decider.open(state(List.of(session(1)), stored, null), INCOMING, Map.of(), p,
          NOW);

      assertNotNull(d.next().lock());
    }

    @ParameterizedTest(name = "lock until {0}")
    @CsvSource({"''", "2026-03-01T12:00:01Z", "2099-01-01T00:00:00Z"})
    void aLockedUserIsRefused(String until) {
      Lock lock = new Lock(NOW.minusSeconds(60), until.isEmpty() ? null : Instant.parse(until),
          "admin", ADMIN, SAVED);
      UserState before = state(List.of(), List.of(NOW.minusSeconds(30)), lock);

      Decision d = decider.open(before, INCOMING, Map.of(), defaults(), NOW);

      assertFalse(d.allow());
      assertTrue(d.message().startsWith("loginwarden: "), d.message());
      assertTrue(d.message().contains("locked"), d.message());
      assertEquals(List.of(new Action.EndConnection(INCOMING)), d.actions());
      assertEquals(before, d.next(), "a refusal of a locked user changes nothing");
      assertEquals(List.of("refuse"), events(d));
    }

    @ParameterizedTest(name = "saved account {0}")
    @CsvSource({"true", "false"})
    void anExpiredLockIsLiftedFirst(boolean withSaved) {
      Lock lock = new Lock(NOW.minusSeconds(3600), NOW, "violations",
          AuditRecord.BY_LOGINWARDEN, withSaved ? SAVED : null);
      UserState before = state(List.of(), List.of(NOW.minusSeconds(3700)), lock);

      Decision d = decider.open(before, INCOMING, Map.of(), defaults(), NOW);

      assertTrue(d.allow());
      assertNull(d.next().lock());
      assertEquals(List.of(), d.next().violations());
      assertEquals(List.of(INCOMING), d.next().sessions());
      assertEquals(List.of("unlock", "open"), events(d));
      assertEquals(withSaved ? List.of(new Action.RestoreAccount(SAVED)) : List.of(),
          d.actions());
    }

    @Test
    void dryRunAuditsTheSameButChangesNothingElse() {
      Session live = session(1);
      UserState before = state(List.of(live), List.of(NOW.minusSeconds(60),
          NOW.minusSeconds(30)), null);
      Policy real = policy(1, OnViolation.KICK_ALL, 3, "10m", "1h", false);
      Policy dry = policy(1, OnViolation.KICK_ALL, 3, "10m", "1h", true);

      Decision r = decider.open(before, INCOMING, Map.of(), real, NOW);
      Decision d = decider.open(before, INCOMING, Map.of(), dry, NOW);

      assertFalse(r.allow());
      assertEquals(List.of("violation", "kick", "lock", "refuse"), events(r));
      assertEquals(r.audit().stream()
              .map(a -> new AuditRecord(a.event(), a.user(), a.session(), a.reason(), a.by(),
                  true))
              .toList(),
          d.audit(), "the same records, marked dryRun");
      assertTrue(d.allow());
      assertNull(d.message());
      assertEquals(List.of(), d.actions());
      assertNull(d.next().lock());
      assertEquals(List.of(live, INCOMING), d.next().sessions(), "not ending; new one recorded");
      assertEquals(r.next().violations(), d.next().violations(), "violations are recorded");
    }

    @Test
    void dryRunLetsALockedUserIn() {
      Lock lock = new Lock(NOW.minusSeconds(60), null, "admin", ADMIN, null);
      Policy dry = policy(1, OnViolation.KICK_ALL, 3, "10m", "0", true);

      Decision d = decider.open(state(List.of(), List.of(), lock), INCOMING, Map.of(), dry,
          NOW);

      assertTrue(d.allow());
      assertEquals(List.of(), d.actions());
      assertEquals(lock, d.next().lock());
      assertEquals(List.of(INCOMING), d.next().sessions());
      assertEquals(List.of("refuse"), events(d));
      assertTrue(d.audit().get(0).dryRun());
    }

    @Test
    void dryRunStillLiftsAnExpiredLockAndRestoresTheAccount() {
      // The lock and its /etc/shadow change are real (made before dry_run was turned on):
      // dropping the restore would leave the account locked with no record of why.
      Lock lock = new Lock(NOW.minusSeconds(3600), NOW.minusSeconds(1), "violations",
          AuditRecord.BY_LOGINWARDEN, SAVED);
      Policy dry = policy(1, OnViolation.KICK_ALL, 3, "10m", "0", true);

      Decision d = decider.open(state(List.of(), List.of(), lock), INCOMING, Map.of(), dry,
          NOW);

      assertTrue(d.allow());
      assertNull(d.next().lock());
      assertEquals(List.of(new Action.RestoreAccount(SAVED)), d.actions());
    }
  }

  @Nested
  class Close {

    @ParameterizedTest(name = "ending {0}")
    @CsvSource({"false, logout after 3600s", "true, ended by loginwarden after 3600s"})
    void removesALoggedOutSessionAndAuditsIt(boolean ending, String reason) {
      Session gone = ending ? session(1).endingAt(NOW.minusSeconds(1)) : session(1);
      Session other = session(2);

      Decision d = decider.close(state(List.of(gone, other), List.of(NOW), null), gone.key(),
          NOW);

      assertTrue(d.allow());
      // A session loginwarden is ending stays until nothing of it is left (see sweep).
      assertEquals(ending ? List.of(gone, other) : List.of(other), d.next().sessions());
      assertEquals(List.of(NOW), d.next().violations());
      assertEquals(List.of(new AuditRecord("close", USER, gone, reason,
          AuditRecord.BY_LOGINWARDEN, false)), d.audit());
      assertEquals(List.of(), d.actions());
    }

    @Test
    void anUnknownKeyChangesNothing() {
      UserState before = state(List.of(session(1)), List.of(), null);

      Decision d = decider.close(before, new SessionKey(1, 11), NOW);

      assertTrue(d.allow());
      assertEquals(before, d.next());
      assertEquals(List.of(), d.audit());
      assertEquals(List.of(), d.actions());
    }
  }

  @Nested
  class Account {

    @Test
    void refusesALockedUser() {
      Lock lock = new Lock(NOW.minusSeconds(60), NOW.plusSeconds(60), "violations",
          AuditRecord.BY_LOGINWARDEN, SAVED);
      UserState before = state(List.of(), List.of(), lock);

      Decision d = decider.account(before, defaults(), NOW);

      assertFalse(d.allow());
      assertTrue(d.message().startsWith("loginwarden: "), d.message());
      assertEquals(before, d.next());
      assertEquals(List.of(), d.actions(), "no connection to end in the account phase");
      assertEquals(List.of("refuse"), events(d));
      assertNull(d.audit().get(0).session());
    }

    @Test
    void liftsAnExpiredLock() {
      Lock lock = new Lock(NOW.minusSeconds(60), NOW.minusMillis(1), "violations",
          AuditRecord.BY_LOGINWARDEN, SAVED);

      Decision d = decider.account(state(List.of(), List.of(NOW.minusSeconds(60)), lock),
          defaults(), NOW);

      assertTrue(d.allow());
      assertNull(d.next().lock());
      assertEquals(List.of(), d.next().violations());
      assertEquals(List.of(new Action.RestoreAccount(SAVED)), d.actions());
      assertEquals(List.of("unlock"), events(d));
    }

    @Test
    void allowsAnUnlockedUserSilently() {
      UserState before = state(List.of(session(1)), List.of(NOW), null);

      Decision d = decider.account(before, defaults(), NOW);

      assertTrue(d.allow());
      assertEquals(before, d.next());
      assertEquals(List.of(), d.audit());
      assertEquals(List.of(), d.actions());
    }

    @Test
    void dryRunAllowsALockedUserButAuditsTheRefusal() {
      Lock lock = new Lock(NOW.minusSeconds(60), null, "admin", ADMIN, null);
      Policy dry = policy(1, OnViolation.KICK_ALL, 3, "10m", "0", true);

      Decision d = decider.account(state(List.of(), List.of(), lock), dry, NOW);

      assertTrue(d.allow());
      assertEquals(List.of(), d.actions());
      assertEquals(List.of("refuse"), events(d));
      assertTrue(d.audit().get(0).dryRun());
    }
  }

  @Nested
  class Kick {

    @Test
    void endsEverySessionThatIsNotGone() {
      List<Session> recorded = List.of(session(1), session(2), session(3), session(4),
          session(5));
      Map<SessionKey, Presence> presence = presence(recorded, Presence.LIVE, Presence.SETTLING,
          Presence.CLOSING, Presence.GONE);

      Decision d = decider.kick(state(recorded, List.of(), null), presence, ADMIN, NOW);

      List<Session> ended = List.of(session(1), session(2), session(3), session(5));
      assertTrue(d.allow());
      assertEquals(List.of(new Action.EndSessions(ended)), d.actions());
      assertEquals(ended.stream().map(s -> s.endingAt(NOW)).toList(), d.next().sessions());
      assertEquals(List.of("kick", "kick", "kick", "kick"), events(d));
      assertTrue(d.audit().stream().allMatch(a -> a.by().equals(ADMIN)));
      assertEquals("4 session(s) of alice ended", d.message());
    }

    @Test
    void nothingToEnd() {
      Decision d = decider.kick(UserState.empty(USER), Map.of(), ADMIN, NOW);

      assertTrue(d.allow());
      assertEquals(List.of(), d.actions());
      assertEquals(List.of(), d.audit());
      assertEquals("0 session(s) of alice ended", d.message());
    }
  }

  @Nested
  class AdminLock {

    @Test
    void locksUntilUnlocked() {
      UserState before = state(List.of(session(1)), List.of(), null);

      Decision d = decider.lock(before, ADMIN, NOW);

      assertTrue(d.allow());
      assertEquals(new Lock(NOW, null, "admin", ADMIN, null), d.next().lock());
      assertEquals(List.of(new Action.LockAccount()), d.actions());
      assertEquals(List.of(new AuditRecord("lock", USER, null, "lock by bob", ADMIN, false)),
          d.audit());
      assertEquals(List.of(session(1)), d.next().sessions(), "lock does not kick");
      assertEquals("alice locked", d.message());
    }

    @Test
    void saysWhenAlreadyLocked() {
      Lock lock = new Lock(NOW.minusSeconds(60), null, "violations",
          AuditRecord.BY_LOGINWARDEN, SAVED);
      UserState before = state(List.of(), List.of(NOW), lock);

      Decision d = decider.lock(before, ADMIN, NOW);

      assertTrue(d.allow());
      assertTrue(d.message().contains("already locked"), d.message());
      assertEquals(before, d.next());
      assertEquals(List.of(), d.actions());
      assertEquals(List.of(), d.audit());
    }

    @Test
    void replacesAnExpiredLock() {
      Lock old = new Lock(NOW.minusSeconds(600), NOW.minusSeconds(1), "violations",
          AuditRecord.BY_LOGINWARDEN, SAVED);

      Decision d = decider.lock(state(List.of(), List.of(), old), ADMIN, NOW);

      assertEquals(new Lock(NOW, null, "admin", ADMIN, null), d.next().lock());
      assertEquals(List.of(new Action.RestoreAccount(SAVED), new Action.LockAccount()),
          d.actions());
      assertEquals(List.of("unlock", "lock"), events(d));
    }
  }

  @Nested
  class AdminUnlock {

    @ParameterizedTest(name = "saved account {0}")
    @CsvSource({"true", "false"})
    void clearsTheLockAndTheViolations(boolean withSaved) {
      Lock lock = new Lock(NOW.minusSeconds(60), null, "violations",
          AuditRecord.BY_LOGINWARDEN, withSaved ? SAVED : null);

      Decision d = decider.unlock(state(List.of(session(1)), List.of(NOW), lock), ADMIN, NOW);

      assertTrue(d.allow());
      assertNull(d.next().lock());
      assertEquals(List.of(), d.next().violations());
      assertEquals(List.of(session(1)), d.next().sessions());
      assertEquals(withSaved ? List.of(new Action.RestoreAccount(SAVED)) : List.of(),
          d.actions());
      assertEquals(List.of(new AuditRecord("unlock", USER, null, "unlock by bob", ADMIN, false)),
          d.audit());
      assertEquals("alice unlocked", d.message());
    }

    @Test
    void clearsViolationsOfAnUnlockedUser() {
      Decision d = decider.unlock(state(List.of(), List.of(NOW), null), ADMIN, NOW);

      assertTrue(d.allow());
      assertEquals(List.of(), d.next().violations());
      assertEquals(List.of(), d.actions());
      assertEquals(List.of("unlock"), events(d));
      assertTrue(d.message().contains("was not locked"), d.message());
    }

    @Test
    void nothingToDo() {
      Decision d = decider.unlock(UserState.empty(USER), ADMIN, NOW);

      assertEquals(UserState.empty(USER), d.next());
      assertEquals(List.of(), d.audit());
      assertEquals(List.of(), d.actions());
    }
  }

  @Nested
  class Refresh {

    @ParameterizedTest
    @EnumSource(Presence.class)
    void dropsOnlyGoneSessions(Presence p) {
      Session s = session(1);

      Decision d = decider.refresh(state(List.of(s), List.of(), null), Map.of(s.key(), p), NOW);

      assertEquals(p == Presence.GONE ? List.of() : List.of(s), d.next().sessions());
      assertEquals(List.of(), d.actions());
    }

    @Test
    void liftsAnExpiredLock() {
      Lock lock = new Lock(NOW.minusSeconds(60), NOW, "violations", AuditRecord.BY_LOGINWARDEN,
          SAVED);

      Decision d = decider.refresh(state(List.of(), List.of(), lock), Map.of(), NOW);

      assertNull(d.next().lock());
      assertEquals(List.of(new Action.RestoreAccount(SAVED)), d.actions());
    }
  }

  @Nested
  class RecentViolations {

    @Test
    void keepsThoseInsideTheWindowAndNotInTheFuture() {
      List<Instant> all = List.of(NOW.minusSeconds(700), NOW.minusSeconds(600),
          NOW.minusSeconds(599), NOW, NOW.plusSeconds(1));

      List<Instant> recent = Decider.recentViolations(all, Duration.ofMinutes(10), NOW);

      assertEquals(List.of(NOW.minusSeconds(599), NOW), recent);
    }

    @Test
    void leavesRoomForOneMore() {
      List<Instant> all = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        all.add(NOW.minusSeconds(200 - i));
      }

      List<Instant> recent = Decider.recentViolations(all, Duration.ofDays(1), NOW);

      assertEquals(Decider.MAX_VIOLATIONS_KEPT - 1, recent.size());
      assertEquals(NOW.minusSeconds(1), recent.get(recent.size() - 1));
    }
  }

  @Test
  void lockIsActiveBeforeUntilOnly() {
    assertTrue(new Lock(NOW, null, "admin", ADMIN, null).activeAt(NOW.plusSeconds(1_000_000)));
    assertTrue(new Lock(NOW, NOW.plusSeconds(1), "admin", ADMIN, null).activeAt(NOW));
    assertFalse(new Lock(NOW, NOW, "admin", ADMIN, null).activeAt(NOW));
  }

  @Test
  void sessionsWithoutAnAuditId() {
    Session s = session(1);
    assertTrue(s.hasAuditSession());
    assertFalse(new Session(1, 1, Session.NO_AUDIT_SESSION, "sshd", null, 0, null, null, null,
        NOW, null).hasAuditSession());
  }
}
