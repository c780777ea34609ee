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
    out.state = out.state.withViolations(List.of());
    if (lock == null) {
      if (!state.violations().isEmpty()) {
        out.audit("unlock", null, "violations cleared by " + by);
      }
      return out.allow(state.user() + " was not locked; violations cleared");
    }
    out.unlock(lock, "unlock by " + by);
    return out.allow(state.user() + " unlocked");
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
        unlock(lock, "lock_time elapsed");
      }
    }

    void unlock(Lock lock, String reason) {
      audit("unlock", null, reason);
      state = state.withLock(null).withViolations(List.of());
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
      if (sessions.isEmpty()) {
        return;
      }
      for (Session s : sessions) {
        audit("kick", s, reason);
      }
      if (!dryRun) {
        state = state.withSessions(state.sessions().stream()
            .map(s -> sessions.contains(s) ? s.endingAt(now) : s)
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
