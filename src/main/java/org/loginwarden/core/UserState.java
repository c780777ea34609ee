package org.loginwarden.core;

import java.time.Instant;
import java.util.List;

/**
 * Everything loginwarden knows about one user: live sessions, recent violations, and a lock.
 * Immutable; the decision core returns a new one.
 */
public record UserState(String user, List<Session> sessions, List<Instant> violations, Lock lock) {

  public UserState {
    sessions = List.copyOf(sessions);
    violations = List.copyOf(violations);
  }

  public static UserState empty(String user) {
    return new UserState(user, List.of(), List.of(), null);
  }

  public UserState withSessions(List<Session> newSessions) {
    return new UserState(user, newSessions, violations, lock);
  }

  public UserState withViolations(List<Instant> newViolations) {
    return new UserState(user, sessions, newViolations, lock);
  }

  public UserState withLock(Lock newLock) {
    return new UserState(user, sessions, violations, newLock);
  }

  public boolean isEmpty() {
    return sessions.isEmpty() && violations.isEmpty() && lock == null;
  }
}
