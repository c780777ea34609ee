package org.loginwarden.core;

import java.time.Instant;
import java.util.List;

/**
 * Everything loginwarden knows about one user: live sessions, recent violations, a lock, and
 * the failed logins counted towards a lockout. Immutable; the decision core returns a new one.
 *
 * @param authFailures password attempts counted as failed (oldest first), see
 *                     {@link AuthFailureRules}
 */
public record UserState(String user, List<Session> sessions, List<Instant> violations, Lock lock,
    List<Instant> authFailures) {

  public UserState {
    sessions = List.copyOf(sessions);
    violations = List.copyOf(violations);
    authFailures = List.copyOf(authFailures);
  }

  /** A state with no failed logins counted. */
  public UserState(String user, List<Session> sessions, List<Instant> violations, Lock lock) {
    this(user, sessions, violations, lock, List.of());
  }

  public static UserState empty(String user) {
    return new UserState(user, List.of(), List.of(), null);
  }

  public UserState withSessions(List<Session> newSessions) {
    return new UserState(user, newSessions, violations, lock, authFailures);
  }

  public UserState withViolations(List<Instant> newViolations) {
    return new UserState(user, sessions, newViolations, lock, authFailures);
  }

  public UserState withLock(Lock newLock) {
    return new UserState(user, sessions, violations, newLock, authFailures);
  }

  public UserState withAuthFailures(List<Instant> newAuthFailures) {
    return new UserState(user, sessions, violations, lock, newAuthFailures);
  }

  public boolean isEmpty() {
    return sessions.isEmpty() && violations.isEmpty() && lock == null && authFailures.isEmpty();
  }
}
