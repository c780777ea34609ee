package org.loginwarden.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** The sweep's rules with a fixed clock: what is used, what ends, who is warned. */
class SweepTest {

  private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
  private static final String USER = "alice";
  private static final String PTY = "/dev/pts/3";
  private static final SessionLimits LIMITS = limits("8h", "15m", "1m");

  private final Decider decider = new Decider();

  /** NOW minus a duration as config writes it ("15m", "839s"). */
  private static Instant ago(String d) {
    return NOW.minus(Durations.parse(d));
  }

  private static SessionLimits limits(String max, String idle, String warn) {
    return new SessionLimits(Durations.parse(max), Durations.parse(idle), Durations.parse(warn),
        false);
  }

  private static Session session(long pid, String age, Activity activity, Instant ending) {
    return new Session(pid, pid * 10, 100 + pid, "sshd", "192.0.2.1", 50000, "ssh",
        "publickey", null, ago(age), ending, activity);
  }

  private static Session session(String age) {
    return session(1, age, null, null);
  }

  private static Session session(String age, Activity activity) {
    return session(1, age, activity, null);
  }

  private static Session ending(String age, String endingAgo) {
    return session(1, age, null, ago(endingAgo));
  }

  /** A pty session's record: last typed {@code lastAgo} ago, warned {@code warnedAgo} ago. */
  private static Activity typedAt(String lastAgo, String warnedAgo) {
    return new Activity(ago(lastAgo), 0, PTY, warnedAgo == null ? null : ago(warnedAgo));
  }

  /** A session without a pty: last moved bytes {@code lastAgo} ago, {@code io} in total. */
  private static Activity movedAt(String lastAgo, long io) {
    return new Activity(ago(lastAgo), io, null, null);
  }

  /** /proc: the session's pty, last read from {@code inputAgo} ago. */
  private static Observation typed(String inputAgo) {
    return new Observation(PTY, ago(inputAgo), 0, false, false);
  }

  private static Observation bytes(long io) {
    return new Observation(null, null, io, false, false);
  }

  private static Observation sshdOnly(long io) {
    return new Observation(null, null, io, true, false);
  }

  // ---------------------------------------------------------------------------------------
  // Rule 2: a session's use, from what the last pass recorded and what /proc says now.

  static Stream<Arguments> uses() {
    Instant opened = ago("1h");
    return Stream.of(
        row("pty: the terminal's last input", null,
            new Observation(PTY, ago("5m"), 777, false, false), false,
            new Activity(ago("5m"), 777, PTY, null)),
        row("pty: input older than the login (a reused pty) counts from the opening", null,
            typed("2h"), false, new Activity(opened, 0, PTY, null)),
        row("pty: input unreadable, never swept: from the opening", null,
            new Observation(PTY, null, 0, false, false), false,
            new Activity(opened, 0, PTY, null)),
        row("pty: input unreadable: what the last pass saw", typedAt("10m", null),
            new Observation(PTY, null, 0, false, false), false,
            new Activity(ago("10m"), 0, PTY, null)),
        row("pty: a foreground job with foreground_job_is_activity: now", null,
            new Observation(PTY, ago("20m"), 0, false, true), true,
            new Activity(NOW, 0, PTY, null)),
        row("pty: a foreground job without it: the last input", null,
            new Observation(PTY, ago("20m"), 0, false, true), false,
            new Activity(ago("20m"), 0, PTY, null)),
        row("pty: a job that just ended was use until it ended", typedAt("10s", null),
            typed("20m"), true, new Activity(ago("10s"), 0, PTY, null)),
        row("pty: output alone is not use", typedAt("20m", null),
            new Observation(PTY, ago("20m"), 123456, false, false), false,
            new Activity(ago("20m"), 123456, PTY, null)),
        row("pty: input after the warning clears it", typedAt("14m", "1m"), typed("30s"), false,
            new Activity(ago("30s"), 0, PTY, null)),
        row("pty: no input since the warning keeps it", typedAt("14m", "1m"), typed("14m"),
            false, typedAt("14m", "1m")),
        row("pty: a foreground job after the warning clears it", typedAt("14m", "1m"),
            new Observation(PTY, ago("14m"), 0, false, true), true,
            new Activity(NOW, 0, PTY, null)),
        row("no pty, first look: now, no history held against it", null, bytes(500), false,
            new Activity(NOW, 500, null, null)),
        row("no pty: bytes moved, now", movedAt("5m", 500), bytes(501), false,
            new Activity(NOW, 501, null, null)),
        row("no pty: same bytes, unchanged", movedAt("5m", 500), bytes(500), false,
            movedAt("5m", 500)),
        row("no pty: fewer bytes (a process exited) moved too", movedAt("5m", 500), bytes(200),
            false, new Activity(NOW, 200, null, null)),
        row("no pty: bytes moved after the warning clear it",
            new Activity(ago("5m"), 500, null, ago("1m")), bytes(600), false,
            new Activity(NOW, 600, null, null)),
        row("no pty: no bytes since the warning keep it",
            new Activity(ago("5m"), 500, null, ago("1m")), bytes(500), false,
            new Activity(ago("5m"), 500, null, ago("1m"))),
        row("sshd only, first look: now", null, sshdOnly(100), false,
            new Activity(NOW, 100, null, null)),
        row("sshd only: 4095 bytes are keepalives; the baseline stays", movedAt("5m", 1000),
            sshdOnly(1000 + 4095), false, movedAt("5m", 1000)),
        row("sshd only: 4096 bytes are use", movedAt("5m", 1000), sshdOnly(1000 + 4096), false,
            new Activity(NOW, 5096, null, null)),
        row("sshd only: 4096 fewer bytes are use too", movedAt("5m", 10000),
            sshdOnly(10000 - 4096), false, new Activity(NOW, 10000 - 4096, null, null)),
        row("a pty appearing after a look without one: never back in time",
            movedAt("30s", 0), typed("50m"), false, new Activity(ago("30s"), 0, PTY, null)));
  }

  private static Arguments row(String name, Activity before, Observation seen,
      boolean foregroundJobIsActivity, Activity expected) {
    return Arguments.of(name, before, seen, foregroundJobIsActivity, expected);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("uses")
  void activity(String name, Activity before, Observation seen, boolean foreground,
      Activity expected) {
    SessionLimits limits = new SessionLimits(Duration.ofHours(8), Duration.ofMinutes(15),
        Duration.ofMinutes(1), foreground);

    assertEquals(expected, Decider.activity(session("1h", before), seen, limits, NOW));
  }

  @Test
  void keepaliveNoiseAddsUpUntilItIsUse() {
    Session s = session("1h", movedAt("5m", 1000));
    long[] totals = {2000, 3000, 5095, 5096};
    List<Instant> seen = new ArrayList<>();
    for (long io : totals) {
      Activity a = Decider.activity(s, sshdOnly(io), LIMITS, NOW);
      seen.add(a.lastActive());
      s = s.withActivity(a);
    }

    assertEquals(List.of(ago("5m"), ago("5m"), ago("5m"), NOW), seen,
        "small changes are measured from the last real use, not from the last pass");
    assertEquals(5096, s.activity().ioBytes());
  }

  @ParameterizedTest(name = "opened {0} ago, previous pass {1} ago, no pty: idle since {2}")
  @CsvSource(delimiter = '|', nullValues = "-", value = {
      "5s   | 10s | opened",
      "1h   | 10s | now",
      "10s  | 10s | now",
      "1h   | -   | now",
      "5s   | -   | now",
  })
  void aFirstLookAfterLoginStartsTheIdleClockAtLogin(String age, String previous,
      String since) {
    Session s = session(age);
    Instant previousPass = previous == null ? null : ago(previous);

    Activity a = Decider.activity(s, bytes(500), LIMITS, NOW, previousPass);

    assertEquals(new Activity(since.equals("now") ? NOW : s.opened(), 500, null, null), a);
  }

  @Test
  void thePreviousPassDoesNotChangeAPtyOrARecordedSession() {
    Session fresh = session("5s");
    Session recorded = session("5s", movedAt("3s", 500));

    assertEquals(new Activity(fresh.opened(), 0, PTY, null),
        Decider.activity(fresh, typed("1h"), LIMITS, NOW, ago("10s")));
    assertEquals(movedAt("3s", 500),
        Decider.activity(recorded, bytes(500), LIMITS, NOW, ago("10s")));
  }

  @Test
  void aSessionOpenedSinceASlowPassIsIdleSinceLogin() {
    // The previous pass was 30 min ago; the session opened 20 min ago and never moved a byte.
    Session s = session("20m");
    UserState before = state(s);

    Decision seenLate = decider.sweep(before, Map.of(), Map.of(s.key(), bytes(500)), LIMITS,
        false, false, NOW, ago("30m"));
    Decision cron = decider.sweep(before, Map.of(), Map.of(s.key(), bytes(500)), LIMITS, false,
        false, NOW, null);

    assertEquals("idle: idle for 20 min (idle_timeout 15m)", audit(seenLate));
    assertEquals("", audit(cron), "no previous pass known: no history held against it");
  }

  @Test
  void aLongForegroundJobIsUseUntilItEnds() {
    SessionLimits limits = new SessionLimits(Duration.ZERO, Duration.ofMinutes(15),
        Duration.ofMinutes(1), true);
    UserState state = state(session("1h"));
    SessionKey key = state.sessions().get(0).key();
    // `make` was typed 20 min ago and ran until NOW; from +10 s the shell waits at its prompt.
    int[] at = {0, 10, 839, 850, 900};
    List<String> log = new ArrayList<>();
    for (int i = 0; i < at.length; i++) {
      Observation seen = new Observation(PTY, ago("20m"), 0, false, i == 0);
      Decision d = decider.sweep(state, Map.of(), Map.of(key, seen), limits, false, false,
          NOW.plusSeconds(at[i]));
      log.add(at[i] + ": " + audit(d));
      state = d.next();
    }

    assertEquals(List.of(
        "0: ",
        "10: ",
        "839: ",
        "850: warn: this session ends in 50 s: idle for 14 min",
        "900: idle: idle for 15 min (idle_timeout 15m)"), log,
        "idle from the job's end, with a warning, not from the keystroke that started it");
  }

  @Test
  void lastActiveIsTheRecordElseTheOpening() {
    assertEquals(ago("1h"), Decider.lastActive(session("1h")));
    assertEquals(ago("5m"), Decider.lastActive(session("1h", typedAt("5m", null))));
  }

  // ---------------------------------------------------------------------------------------
  // Rules 1, 3 and 4: one session, one sweep.

  static Stream<Arguments> sweeps() {
    return Stream.of(
        // name, session, presence, observation, limits, exempt, dry run, audit, actions, after
        sweep("gone: dropped, nothing said", session("9h"), Presence.GONE, typed("1h"), LIMITS,
            false, false, "", "", "gone"),
        sweep("live, inside every limit", session("1h"), Presence.LIVE, typed("5m"), LIMITS,
            false, false, "", "", "running"),
        sweep("no limits: old and idle runs on", session("30d"), Presence.LIVE, typed("29d"),
            limits("0", "0", "1m"), false, false, "", "", "running"),
        sweep("max_session_time reached exactly", session("8h"), Presence.LIVE, typed("0s"),
            LIMITS, false, false, "expired: lived 8 h (max_session_time 8h)", "EndSessions[1]",
            "ending 0"),
        sweep("max_session_time reached by a busy session", session("9h"), Presence.LIVE,
            new Observation(PTY, NOW, 0, false, true), limits("9h", "15m", "1m"), false, false,
            "expired: lived 9 h (max_session_time 9h)", "EndSessions[1]", "ending 0"),
        sweep("one second before max_session_time: warned", session("28799s"), Presence.LIVE,
            typed("0s"), LIMITS, false, false,
            "warn: this session ends in 1 s: it reaches its 8 h limit",
            "Warn /dev/pts/3 'loginwarden: this session ends in 1 s: it reaches its 8 h limit'",
            "running, warned 0"),
        sweep("max_session_time 10 min away with warn_before 10m", session("470m"),
            Presence.LIVE, typed("0s"), limits("8h", "0", "10m"), false, false,
            "warn: this session ends in 10 min: it reaches its 8 h limit",
            "Warn /dev/pts/3 'loginwarden: this session ends in 10 min: it reaches its 8 h "
                + "limit'", "running, warned 0"),
        sweep("idle_timeout reached exactly", session("1h"), Presence.LIVE, typed("15m"), LIMITS,
            false, false, "idle: idle for 15 min (idle_timeout 15m)", "EndSessions[1]",
            "ending 0"),
        sweep("idle 14 min: warned 60 s before", session("1h"), Presence.LIVE, typed("14m"),
            LIMITS, false, false, "warn: this session ends in 60 s: idle for 14 min",
            "Warn /dev/pts/3 'loginwarden: this session ends in 60 s: idle for 14 min'",
            "running, warned 0"),
        sweep("61 s left: not yet warned", session("1h"), Presence.LIVE, typed("839s"), LIMITS,
            false, false, "", "", "running"),
        sweep("warn_before longer than the time left", session("1h"), Presence.LIVE,
            typed("6m"), limits("8h", "15m", "10m"), false, false,
            "warn: this session ends in 9 min: idle for 6 min",
            "Warn /dev/pts/3 'loginwarden: this session ends in 9 min: idle for 6 min'",
            "running, warned 0"),
        sweep("warn_before 0: never warned", session("1h"), Presence.LIVE, typed("14m"),
            limits("8h", "15m", "0"), false, false, "", "", "running"),
        sweep("past both limits: expired, not idle", session("9h"), Presence.LIVE, typed("1h"),
            LIMITS, false, false, "expired: lived 9 h (max_session_time 8h)", "EndSessions[1]",
            "ending 0"),
        sweep("exempt: never ended", session("9h"), Presence.LIVE, typed("1h"), LIMITS, true,
            false, "", "", "running"),
        sweep("exempt: never warned", session("1h"), Presence.LIVE, typed("14m"), LIMITS, true,
            false, "", "", "running"),
        sweep("dry run: expired is audited only", session("8h"), Presence.LIVE, typed("0s"),
            LIMITS, false, true, "expired (dry run): lived 8 h (max_session_time 8h)", "",
            "running"),
        sweep("dry run: idle is audited only", session("1h"), Presence.LIVE, typed("20m"),
            LIMITS, false, true, "idle (dry run): idle for 20 min (idle_timeout 15m)", "",
            "running"),
        sweep("dry run: the warning is audited only", session("1h"), Presence.LIVE,
            typed("14m"), LIMITS, false, true,
            "warn (dry run): this session ends in 60 s: idle for 14 min", "", "running"),
        sweep("warned, still idle: not again", session("1h", typedAt("14m", "30s")),
            Presence.LIVE, typed("14m"), LIMITS, false, false, "", "", "running, warned -30"),
        sweep("warned, then typed: cleared", session("1h", typedAt("14m", "30s")),
            Presence.LIVE, typed("10s"), LIMITS, false, false, "", "", "running"),
        sweep("warned, typed, idle again: warned again", session("1h", typedAt("20m", "20m")),
            Presence.LIVE, typed("14m"), LIMITS, false, false,
            "warn: this session ends in 60 s: idle for 14 min",
            "Warn /dev/pts/3 'loginwarden: this session ends in 60 s: idle for 14 min'",
            "running, warned 0"),
        sweep("no pty, near its end: never warned", session("1h", movedAt("14m", 500)),
            Presence.LIVE, bytes(500), LIMITS, false, false, "", "", "running"),
        sweep("no pty, no bytes for idle_timeout: idle", session("1h", movedAt("15m", 500)),
            Presence.LIVE, bytes(500), LIMITS, false, false,
            "idle: idle for 15 min (idle_timeout 15m)", "EndSessions[1]", "ending 0"),
        sweep("no pty, bytes moved: runs on", session("1h", movedAt("20m", 500)),
            Presence.LIVE, bytes(900), LIMITS, false, false, "", "", "running"),
        sweep("no pty, first look at an hour-old session: not idle", session("1h"),
            Presence.LIVE, bytes(500), LIMITS, false, false, "", "", "running"),
        sweep("ssh -N: keepalives are not use", session("1h", movedAt("15m", 500)),
            Presence.LIVE, sshdOnly(500 + 4095), LIMITS, false, false,
            "idle: idle for 15 min (idle_timeout 15m)", "EndSessions[1]", "ending 0"),
        sweep("ssh -N: 4096 bytes are use", session("1h", movedAt("15m", 500)), Presence.LIVE,
            sshdOnly(500 + 4096), LIMITS, false, false, "", "", "running"),
        // Recorded after this pass read /proc: no idle verdict and no warning without a look.
        sweep("not observed: not judged idle", session("1h", typedAt("15m", null)),
            Presence.LIVE, null, LIMITS, false, false, "", "", "running"),
        sweep("not observed, never swept: not judged idle", session("1h"),
            Presence.LIVE, null, LIMITS, false, false, "", "", "running"),
        sweep("not observed, past max_session_time: expired all the same", session("9h"),
            Presence.LIVE, null, LIMITS, false, false,
            "expired: lived 9 h (max_session_time 8h)", "EndSessions[1]", "ending 0"),
        sweep("not observed, recently used: runs on", session("1h", typedAt("5m", null)),
            Presence.LIVE, null, LIMITS, false, false, "", "", "running"),
        sweep("settling or closing: judged like any other", session("8h"), Presence.CLOSING,
            typed("0s"), LIMITS, false, false, "expired: lived 8 h (max_session_time 8h)",
            "EndSessions[1]", "ending 0"),
        sweep("ending 9 s ago: left to finish", ending("9h", "9s"), Presence.LIVE, typed("1h"),
            LIMITS, false, false, "", "", "ending -9"),
        sweep("ending 10 s ago: ended again, no new audit", ending("9h", "10s"), Presence.LIVE,
            typed("1h"), LIMITS, false, false, "", "EndSessions[1]", "ending -10"),
        sweep("ending an hour ago: ended again", ending("9h", "1h"), Presence.SETTLING, null,
            LIMITS, false, false, "", "EndSessions[1]", "ending -3600"),
        sweep("ending, exempt (an admin's kick): ended again", ending("1h", "10s"),
            Presence.LIVE, null, LIMITS, true, false, "", "EndSessions[1]", "ending -10"),
        sweep("ending, dry run: nothing", ending("9h", "10s"), Presence.LIVE, null, LIMITS,
            false, true, "", "", "ending -10"),
        sweep("ending and gone: dropped", ending("9h", "1h"), Presence.GONE, null, LIMITS,
            false, false, "", "", "gone"));
  }

  private static Arguments sweep(String name, Session s, Presence presence, Observation seen,
      SessionLimits limits, boolean exempt, boolean dryRun, String audit, String actions,
      String after) {
    return Arguments.of(name, s, presence, seen, limits, exempt, dryRun, audit, actions, after);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("sweeps")
  void sweepOneSession(String name, Session s, Presence presence, Observation seen,
      SessionLimits limits, boolean exempt, boolean dryRun, String audit, String actions,
      String after) {
    Map<SessionKey, Observation> observed = new HashMap<>();
    if (seen != null) {
      observed.put(s.key(), seen);
    }
    UserState before = new UserState(USER, List.of(s), List.of(), null);

    Decision d = decider.sweep(before, Map.of(s.key(), presence), observed, limits, exempt,
        dryRun, NOW);

    assertTrue(d.allow());
    assertEquals(audit, audit(d), "audit");
    assertEquals(actions, actions(d), "actions");
    assertEquals(after, after(d.next()), "session afterwards");
    assertTrue(d.audit().stream().allMatch(r -> r.user().equals(USER)
        && r.session() != null && r.session().key().equals(s.key())
        && r.by().equals(AuditRecord.BY_LOGINWARDEN)));
  }

  @Test
  void anEndedSessionKeepsWhatWasSeenOfIt() {
    Session s = session("1h", movedAt("20m", 500));

    Decision d = decider.sweep(state(s), Map.of(), Map.of(s.key(), bytes(500)), LIMITS, false,
        false, NOW);

    Session after = d.next().sessions().get(0);
    assertEquals(NOW, after.ending());
    assertEquals(movedAt("20m", 500), after.activity());
    Action.EndSessions end = (Action.EndSessions) d.actions().get(0);
    assertEquals(List.of(s.key()), end.sessions().stream().map(Session::key).toList());
  }

  @Test
  void anExemptUsersUseIsStillRecorded() {
    Session s = session("9h");

    Decision d = decider.sweep(state(s), Map.of(), Map.of(s.key(), typed("3m")), LIMITS, true,
        false, NOW);

    assertEquals(new Activity(ago("3m"), 0, PTY, null), d.next().sessions().get(0).activity());
  }

  @Test
  void aDryRunStillRecordsUse() {
    Session s = session("1h", movedAt("20m", 500));

    Decision d = decider.sweep(state(s), Map.of(), Map.of(s.key(), bytes(900)), LIMITS, false,
        true, NOW);

    assertEquals(new Activity(NOW, 900, null, null), d.next().sessions().get(0).activity());
  }

  // ---------------------------------------------------------------------------------------
  // Several sessions, locks, and passes one after another.

  @Test
  void eachSessionIsJudgedOnItsOwn() {
    Session old = session(1, "9h", null, null);
    Session idle = session(2, "1h", movedAt("15m", 10), null);
    Session near = session(3, "1h", null, null);
    Session fine = session(4, "1h", null, null);
    Session gone = session(5, "9h", null, null);
    Session retried = session(6, "9h", null, ago("30s"));
    UserState before = new UserState(USER, List.of(old, idle, near, fine, gone, retried),
        List.of(), null);
    Map<SessionKey, Observation> seen = Map.of(old.key(), typed("0s"), idle.key(), bytes(10),
        near.key(), typed("14m"), fine.key(), bytes(10));

    Decision d = decider.sweep(before, Map.of(gone.key(), Presence.GONE), seen, LIMITS, false,
        false, NOW);

    assertEquals("warn: this session ends in 60 s: idle for 14 min"
        + " | expired: lived 9 h (max_session_time 8h)"
        + " | idle: idle for 15 min (idle_timeout 15m)", audit(d));
    assertEquals(List.of(3L, 1L, 2L), d.audit().stream().map(r -> r.session().pid()).toList());
    assertEquals("Warn /dev/pts/3 'loginwarden: this session ends in 60 s: idle for 14 min'"
        + ", EndSessions[1], EndSessions[2], EndSessions[6]", actions(d));
    assertEquals(List.of(1L, 2L, 3L, 4L, 6L),
        d.next().sessions().stream().map(Session::pid).toList());
    assertEquals("ending 0, ending 0, running, warned 0, running, ending -30", after(d.next()));
  }

  @Test
  void anExpiredLockIsLiftedAndTheAccountRestored() {
    SavedAccount saved = new SavedAccount(false, "");
    Lock lock = new Lock(ago("1h"), ago("1s"), "violations", AuditRecord.BY_LOGINWARDEN, saved);
    UserState before = new UserState(USER, List.of(), List.of(ago("1h")), lock);

    Decision d = decider.sweep(before, Map.of(), Map.of(), LIMITS, false, false, NOW);

    assertNull(d.next().lock());
    assertEquals(List.of(), d.next().violations());
    assertEquals("unlock: lock_time elapsed", audit(d));
    assertEquals(List.of(new Action.RestoreAccount(saved)), d.actions());
  }

  @Test
  void aLockThatExpiresNowIsLifted() {
    Lock lock = new Lock(ago("1h"), NOW, "violations", AuditRecord.BY_LOGINWARDEN, null);

    Decision d = decider.sweep(new UserState(USER, List.of(), List.of(), lock), Map.of(),
        Map.of(), LIMITS, false, false, NOW);

    assertNull(d.next().lock());
    assertEquals("unlock: lock_time elapsed", audit(d));
    assertEquals(List.of(), d.actions(), "nothing saved, nothing to restore");
  }

  @Test
  void aLockStillInForceStays() {
    Lock timed = new Lock(ago("1h"), NOW.plusSeconds(1), "violations",
        AuditRecord.BY_LOGINWARDEN, new SavedAccount(true, "1"));
    Lock forever = new Lock(ago("1h"), null, "admin", "bob", null);
    for (Lock lock : List.of(timed, forever)) {
      UserState before = new UserState(USER, List.of(), List.of(ago("1m")), lock);

      Decision d = decider.sweep(before, Map.of(), Map.of(), LIMITS, false, false, NOW);

      assertEquals(before, d.next());
      assertEquals(List.of(), d.audit());
      assertEquals(List.of(), d.actions());
    }
  }

  @Test
  void warnedOnceThenEndedThenEndedAgainWithoutASecondAudit() {
    SessionLimits limits = limits("0", "15m", "1m");
    UserState state = state(session("1h"));
    SessionKey key = state.sessions().get(0).key();
    // The user last typed at NOW - 14m and never again.
    Observation seen = typed("14m");
    List<String> log = new ArrayList<>();
    for (int at : new int[] {0, 10, 50, 60, 65, 70, 80}) {
      Decision d = decider.sweep(state, Map.of(), Map.of(key, seen), limits, false, false,
          NOW.plusSeconds(at));
      log.add(at + ": " + audit(d) + " / " + actions(d).replaceAll(" '.*'", ""));
      state = d.next();
    }

    assertEquals(List.of(
        "0: warn: this session ends in 60 s: idle for 14 min / Warn /dev/pts/3",
        "10:  / ",
        "50:  / ",
        "60: idle: idle for 15 min (idle_timeout 15m) / EndSessions[1]",
        "65:  / ",
        "70:  / EndSessions[1]",
        "80:  / EndSessions[1]"), log);
  }

  @Test
  void typingAfterTheWarningEarnsASecondOne() {
    SessionLimits limits = limits("0", "15m", "1m");
    UserState state = state(session("1h"));
    SessionKey key = state.sessions().get(0).key();
    List<String> log = new ArrayList<>();
    // Typed at -14m; warned at 0; types at 30 s; near the end again at 30 s + 14 min.
    int[] at = {0, 30, 40, 870, 880};
    Instant[] input = {ago("14m"), ago("14m"), NOW.plusSeconds(30), NOW.plusSeconds(30),
        NOW.plusSeconds(30)};
    for (int i = 0; i < at.length; i++) {
      Decision d = decider.sweep(state, Map.of(),
          Map.of(key, new Observation(PTY, input[i], 0, false, false)), limits, false, false,
          NOW.plusSeconds(at[i]));
      log.add(at[i] + ": " + audit(d));
      state = d.next();
    }

    assertEquals(List.of(
        "0: warn: this session ends in 60 s: idle for 14 min",
        "30: ",
        "40: ",
        "870: warn: this session ends in 60 s: idle for 14 min",
        "880: "), log);
  }

  @Test
  void aDryRunAuditsEveryPassSinceNothingIsMarked() {
    UserState state = state(session("9h"));
    for (int pass = 0; pass < 2; pass++) {
      Decision d = decider.sweep(state, Map.of(), Map.of(), LIMITS, false, true,
          NOW.plusSeconds(pass * 10L));
      assertEquals(List.of("expired"), d.audit().stream().map(AuditRecord::event).toList());
      assertTrue(d.audit().get(0).dryRun());
      assertEquals(List.of(), d.actions());
      state = d.next();
    }
    assertNull(state.sessions().get(0).ending());
  }

  // ---------------------------------------------------------------------------------------

  private static UserState state(Session... sessions) {
    return new UserState(USER, List.of(sessions), List.of(), null);
  }

  private static String audit(Decision d) {
    return d.audit().stream()
        .map(r -> r.event() + (r.dryRun() ? " (dry run)" : "") + ": " + r.reason())
        .collect(Collectors.joining(" | "));
  }

  private static String actions(Decision d) {
    return d.actions().stream().map(a -> {
      if (a instanceof Action.EndSessions e) {
        return "EndSessions" + e.sessions().stream().map(Session::pid).toList();
      }
      if (a instanceof Action.Warn w) {
        return "Warn " + w.pty() + " '" + w.line() + "'";
      }
      return a.getClass().getSimpleName();
    }).collect(Collectors.joining(", "));
  }

  /** Each session as "gone", "running[, warned S]" or "ending S", S seconds from NOW. */
  private static String after(UserState state) {
    if (state.sessions().isEmpty()) {
      return "gone";
    }
    return state.sessions().stream().map(s -> {
      if (s.ending() != null) {
        return "ending " + Duration.between(NOW, s.ending()).toSeconds();
      }
      Instant warned = s.activity() == null ? null : s.activity().warned();
      return warned == null ? "running"
          : "running, warned " + Duration.between(NOW, warned).toSeconds();
    }).collect(Collectors.joining(", "));
  }
}
