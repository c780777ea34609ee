package org.loginwarden.core;

import java.util.List;

/** Something the decision core asks the edges to do once the new state is stored. */
public sealed interface Action {

  /** End these sessions, whole process trees included. */
  record EndSessions(List<Session> sessions) implements Action {
    public EndSessions {
      sessions = List.copyOf(sessions);
    }
  }

  /**
   * End a connection whose session was just refused. sshd keeps such a connection up when it
   * has no channel ({@code ssh -N}); it must be ended after the refusal text reached the client.
   */
  record EndConnection(Session refused) implements Action {}

  /** Write one line to a session's terminal: its end is near. */
  record Warn(Session session, String pty, String line) implements Action {}

  /** Mirror a new lock into the system's account database (/etc/shadow). */
  record LockAccount() implements Action {}

  /** Put the account database back as it was before the lock. */
  record RestoreAccount(SavedAccount saved) implements Action {}
}
