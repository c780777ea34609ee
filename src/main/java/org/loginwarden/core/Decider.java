package org.loginwarden.core;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The pure decision core: given a user's state, an event and the time, it returns the next
 * state, the answer for PAM and the actions to carry out. No I/O, no logging, no clock.
 *
 * <p>What /proc says about each recorded session is an input ({@link Presence}), gathered by
 * the caller before deciding, so the rules can be tested with plain values.
 */
public final class Decider {

  /** Violations kept per user, whatever the window: a hostile loop cannot grow the file. */
  static final int MAX_VIOLATIONS_KEPT = 100;

  /** After this long, a session decided to end but still running is ended again. */
  static final Duration RETRY_ENDING_AFTER = Duration.ofSeconds(10);
  /** A session with no process but sshd's moves bytes for keepalives: this little is not use. */
  static final long SSHD_ONLY_NOISE_BYTES = 4096;

  /** A login arrives (open_session). */
  public Decision open(UserState state, Session incoming, Map<SessionKey, Presence> presence,
      Policy policy, Instant now) {
    // A session never competes with itself, should PAM open the same one twice.
    UserState others = state.withSessions(state.sessions().stream()
        .filter(s -> !s.key().equals(incoming.key())).toList());
    Outcome out = new Outcome(prune(others, presence), policy.dryRun());
    out.liftExpiredLock(now);
    String user = state.user();

    Lock lock = out.state.lock();
    if (lock != null) {
      out.audit("refuse", incoming, "account locked since " + lock.since());
      return out.refuse(incoming, "login refused: the account " + user + " is locked");
    }

    List<Session> counted = out.state.sessions().stream()
        .filter(s -> presence.getOrDefault(s.key(), Presence.LIVE).counts())
        .toList();
    if (counted.size() < policy.maxSessions()) {
      out.state = out.state.withSessions(append(out.state.sessions(), incoming));
      out.audit("open", incoming, counted.size() + 1 + " of " + policy.maxSessions());
      return out.allow();
    }

    // A violation: one login refused because the user already had max_sessions live sessions.
    List<Instant> recent = recentViolations(out.state.violations(), policy.violationWindow(), now);
    recent.add(now);
    out.state = out.state.withViolations(recent);
    String count = "violation " + recent.size() + " of " + policy.violations()
        + " within " + Durations.format(policy.violationWindow());
    out.audit("violation", incoming,
        counted.size() + " live session(s), max_sessions " + policy.maxSessions() + "; " + count);

    StringBuilder message = new StringBuilder("login refused: ").append(user)
        .append(" already has ").append(counted.size()).append(" session(s)");
    if (policy.onViolation() == OnViolation.KICK_ALL) {
      out.end(counted, now, "concurrent login from " + incoming.remoteHost());
      message.append("; all of them were ended");
    }
    message.append(" (").append(count).append(')');

    if (recent.size() >= policy.violations()) {
      out.lock(new Lock(now, lockUntil(policy, now), "violations", AuditRecord.BY_LOGINWARDEN,
          null), incoming, count);
      message.append("; the account is now locked");
    }
    out.audit("refuse", incoming, "over max_sessions " + policy.maxSessions());
    return out.refuse(incoming, message.toString());
  }

  /** A session ends normally (close_session). */
  public Decision close(UserState state, SessionKey key, Instant now) {
    Outcome out = new Outcome(state, false);
    List<Session> kept = new ArrayList<>();
    for (Session s : state.sessions()) {
      if (s.key().equals(key)) {
        long seconds = Duration.between(s.opened(), now).toSeconds();
        out.audit("close", s, (s.ending() != null ? "ended by loginwarden" : "logout")
            + " after " + seconds + "s");
        if (s.ending() != null) {
          // Its sshd goes first; processes that ignore SIGTERM may outlive it. The record is
          // dropped once nothing of the session is left, so a later sweep can finish them.
          kept.add(s);
        }
      } else {
        kept.add(s);
      }
    }
    out.state = out.state.withSessions(kept);
    return out.allow();
  }

  /** PAM's account phase: refuse a locked user, for passwords and keys alike. */
  public Decision account(UserState state, Policy policy, Instant now) {
    Outcome out = new Outcome(state, policy.dryRun());
    out.liftExpiredLock(now);
    if (out.state.lock() != null) {
      out.audit("refuse", null, "account locked since " + out.state.lock().since());
      return out.refuse(null, "account " + state.user() + " is locked");
    }
    return out.allow();
  }

  /** An admin ends all of a user's sessions now. */
  public Decision kick(UserState state, Map<SessionKey, Presence> presence, String by,
      Instant now) {
    Outcome out = new Outcome(prune(state, presence), false);
    out.by = by;
    List<Session> live = out.state.sessions();
    out.end(live, now, "kick by " + by);
    return out.allow(live.size() + " session(s) of " + state.user() + " ended");
  }

  /** An admin locks an account until it is unlocked. */
  public Decision lock(UserState state, String by, Instant now) {
    Outcome out = new Outcome(state, false);
    out.by = by;
    out.liftExpiredLock(now);
    if (out.state.lock() != null) {
      return out.allow(state.user() + " is already locked since " + out.state.lock().since());
    }
    out.lock(new Lock(now, null, "admin", by, null), null, "lock by " + by);
    return out.allow(state.user() + " locked");
  }

  /** An admin lifts a lock and clears the violations that led to it. */
  public Decision unlock(UserState state, String by, Instant now) {
    Outcome out = new Outcome(state, false);
    out.by = by;
    Lock lock = state.lock();
    out.state = out.state.withViolations(List.of()).withAuthFailures(List.of());
    if (lock == null) {
      if (!state.violations().isEmpty() || !state.authFailures().isEmpty()) {
        out.audit("unlock", null, "violations and failed logins cleared by " + by);
      }
      return out.allow(state.user() + " was not locked; violations and failed logins cleared");
    }
    out.unlock(lock, "unlock by " + by);
    return out.allow(state.user() + " unlocked");
  }

  /**
   * A sweep of one user: lifts an expired lock, drops gone sessions, records how each session
   * is used, ends those past {@code max_session_time} or idle past {@code idle_timeout}, and
   * warns a pty session once, {@code warn_before} its end.
   */
  public Decision sweep(UserState state, Map<SessionKey, Presence> presence,
      Map<SessionKey, Observation> seen, SessionLimits limits, boolean exempt, boolean dryRun,
      Instant now) {
    return sweep(state, presence, seen, limits, exempt, dryRun, now, null);
  }

  /**
   * Like {@link #sweep(UserState, Map, Map, SessionLimits, boolean, boolean, Instant)}, knowing
   * when the previous pass of the same watcher ran (null: unknown).
   */
  public Decision sweep(UserState state, Map<SessionKey, Presence> presence,
      Map<SessionKey, Observation> seen, SessionLimits limits, boolean exempt, boolean dryRun,
      Instant now, Instant previousPass) {
    Outcome out = new Outcome(prune(state, presence), dryRun);
    out.liftExpiredLock(now);
    List<Session> kept = new ArrayList<>();
    List<Session> expired = new ArrayList<>();
    List<Session> idle = new ArrayList<>();
    List<Session> unfinished = new ArrayList<>();
    for (Session s : out.state.sessions()) {
      if (s.ending() != null) {
        // Decided before (a kick, an earlier sweep); if it still runs long after, finish it.
        if (!s.ending().plus(RETRY_ENDING_AFTER).isAfter(now)) {
          unfinished.add(s);
        }
        kept.add(s);
        continue;
      }
      Observation o = seen.get(s.key());
      Session updated = o == null ? s
          : s.withActivity(activity(s, o, limits, now, previousPass));
      Instant lastActive = lastActive(updated);
      Duration age = Duration.between(s.opened(), now);
      Duration idleFor = Duration.between(lastActive, now);
      if (!exempt && isSet(limits.maxSessionTime()) && age.compareTo(limits.maxSessionTime()) >= 0) {
        expired.add(updated);
      } else if (!exempt && o != null && isSet(limits.idleTimeout())
          && idleFor.compareTo(limits.idleTimeout()) >= 0) {
        // Only what this pass looked at is judged idle: a session /proc was not read for
        // (recorded after the scan) waits for the next pass.
        idle.add(updated);
      } else if (!exempt && o != null) {
        updated = warnIfNear(out, updated, limits, now);
      }
      kept.add(updated);
    }
    out.state = out.state.withSessions(kept);
    for (Session s : expired) {
      out.end(List.of(s), now, "lived " + Durations.human(Duration.between(s.opened(), now))
          + " (max_session_time " + Durations.format(limits.maxSessionTime()) + ")", "expired");
    }
    for (Session s : idle) {
      out.end(List.of(s), now, "idle for " + Durations.human(Duration.between(lastActive(s), now))
          + " (idle_timeout " + Durations.format(limits.idleTimeout()) + ")", "idle");
    }
    if (!unfinished.isEmpty() && !dryRun) {
      out.actions.add(new Action.EndSessions(unfinished));
    }
    return out.allow();
  }

  /** The session's use as of now, from what it was at the last pass and what /proc says. */
  public static Activity activity(Session s, Observation o, SessionLimits limits, Instant now) {
    return activity(s, o, limits, now, null);
  }

  /**
   * @param previousPass when the previous sweep of this watcher ran, or null when unknown: a
   *     session opened since then is seen at its first chance, so its idle clock starts at login
   */
  public static Activity activity(Session s, Observation o, SessionLimits limits, Instant now,
      Instant previousPass) {
    Activity before = s.activity();
    long moved = before == null ? 0 : Math.abs(o.ioBytes() - before.ioBytes());
    // A session with no process but sshd's moves a little for keepalives: not use, and not
    // a new baseline either, or many small moves would never add up.
    boolean noise = o.sshdOnly() && before != null && moved < SSHD_ONLY_NOISE_BYTES;
    Instant last;
    if (o.pty() != null) {
      // The terminal's last input; a pty reused from an older login may predate this one.
      last = o.lastInput() == null || o.lastInput().isBefore(s.opened()) ? s.opened()
          : o.lastInput();
      if (limits.foregroundJobIsActivity() && o.foregroundJob()) {
        last = now;
      }
      // Never back in time: a foreground job that just ended was use until it ended.
      if (before != null && before.lastActive().isAfter(last)) {
        last = before.lastActive();
      }
    } else if (before == null) {
      // First look. Opened since the previous pass: idle since login, as far as anyone could
      // see. Otherwise (a watcher that was down, a cron sweep) there is no history, and no
      // idle time is held against the session.
      last = previousPass != null && s.opened().isAfter(previousPass) ? s.opened() : now;
    } else {
      last = moved > 0 && !noise ? now : before.lastActive();
    }
    Instant warned = before == null || before.warned() == null || last.isAfter(before.warned())
        ? null : before.warned();
    return new Activity(last, noise ? before.ioBytes() : o.ioBytes(), o.pty(), warned);
  }

  /** When the session was last used, as the last sweep recorded it (else its opening). */
  public static Instant lastActive(Session s) {
    return s.activity() == null ? s.opened() : s.activity().lastActive();
  }

  private static boolean isSet(Duration d) {
    return d != null && !d.isZero();
  }

  /** Warns a pty session once when its end is within warn_before. */
  private static Session warnIfNear(Outcome out, Session s, SessionLimits limits, Instant now) {
    Activity a = s.activity();
    if (a == null || a.pty() == null || a.warned() != null || !isSet(limits.warnBefore())) {
      return s;
    }
    Deadline end = Deadline.of(s, a.lastActive(), limits);
    if (end == null || Duration.between(now, end.at()).compareTo(limits.warnBefore()) > 0) {
      return s;
    }
    String line = "loginwarden: this session ends in "
        + Durations.human(Duration.between(now, end.at())) + ": "
        + end.why(a.lastActive(), limits, now);
    out.audit("warn", s, line.substring("loginwarden: ".length()));
    if (out.dryRun) {
      return s;
    }
    out.actions.add(new Action.Warn(s, a.pty(), line));
    return s.withActivity(new Activity(a.lastActive(), a.ioBytes(), a.pty(), now));
  }

  /** The state with expired locks lifted and gone sessions dropped, for status and sweeps. */
  public Decision refresh(UserState state, Map<SessionKey, Presence> presence, Instant now) {
    Outcome out = new Outcome(prune(state, presence), false);
    out.liftExpiredLock(now);
    return out.allow();
  }

  /** Violations younger than the window; the list a new violation is added to. */
  public static List<Instant> recentViolations(List<Instant> all, Duration window, Instant now) {
    Instant cutoff = now.minus(window);
    List<Instant> recent = new ArrayList<>();
    for (Instant v : all) {
      if (v.isAfter(cutoff) && !v.isAfter(now)) {
        recent.add(v);
      }
    }
    while (recent.size() >= MAX_VIOLATIONS_KEPT) {
      recent.remove(0);
    }
    return recent;
  }

  private static Instant lockUntil(Policy policy, Instant now) {
    return policy.lockTime().isZero() ? null : now.plus(policy.lockTime());
  }

  private static UserState prune(UserState state, Map<SessionKey, Presence> presence) {
    return state.withSessions(state.sessions().stream()
        .filter(s -> presence.getOrDefault(s.key(), Presence.LIVE) != Presence.GONE)
        .toList());
  }

  private static <T> List<T> append(List<T> list, T item) {
    List<T> copy = new ArrayList<>(list);
    copy.add(item);
    return copy;
  }

  /** Collects one decision. With dry_run, audits what would happen and changes nothing else. */
  private static final class Outcome {
    private final UserState before;
    private final boolean dryRun;
    private final List<Action> actions = new ArrayList<>();
    private final List<AuditRecord> audit = new ArrayList<>();
    private UserState state;
    private String by = AuditRecord.BY_LOGINWARDEN;

    Outcome(UserState state, boolean dryRun) {
      this.before = state;
      this.state = state;
      this.dryRun = dryRun;
    }

    void audit(String event, Session session, String reason) {
      audit.add(new AuditRecord(event, before.user(), session, reason, by, dryRun));
    }

    void liftExpiredLock(Instant now) {
      Lock lock = state.lock();
      if (lock != null && !lock.activeAt(now)) {
        unlock(lock, AuthFailureRules.isFailureLock(lock) ? "auth_lockout elapsed"
            : "lock_time elapsed");
      }
    }

    void unlock(Lock lock, String reason) {
      audit("unlock", null, reason);
      state = state.withLock(null).withViolations(List.of()).withAuthFailures(List.of());
      if (lock.saved() != null) {
        actions.add(new Action.RestoreAccount(lock.saved()));
      }
    }

    void lock(Lock lock, Session cause, String reason) {
      audit("lock", cause, reason);
      if (!dryRun) {
        state = state.withLock(lock);
        actions.add(new Action.LockAccount());
      }
    }

    void end(List<Session> sessions, Instant now, String reason) {
      end(sessions, now, reason, "kick");
    }

    void end(List<Session> sessions, Instant now, String reason, String event) {
      if (sessions.isEmpty()) {
        return;
      }
      for (Session s : sessions) {
        audit(event, s, reason);
      }
      if (!dryRun) {
        state = state.withSessions(state.sessions().stream()
            .map(s -> sessions.stream().anyMatch(e -> e.key().equals(s.key())) ? s.endingAt(now) : s)
            .toList());
        actions.add(new Action.EndSessions(sessions));
      }
    }

    Decision allow() {
      return allow(null);
    }

    Decision allow(String message) {
      return new Decision(state, true, message, actions, audit);
    }

    /** Refuses, unless dry_run: then the login goes on and is recorded like any other. */
    Decision refuse(Session incoming, String message) {
      if (dryRun) {
        if (incoming != null) {
          state = state.withSessions(append(state.sessions(), incoming));
        }
        return new Decision(state, true, null, actions, audit);
      }
      if (incoming != null) {
        actions.add(new Action.EndConnection(incoming));
      }
      return new Decision(state, false, "loginwarden: " + message, actions, audit);
    }
  }
}
