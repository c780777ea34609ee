package org.loginwarden.app;

import java.time.Duration;
import java.util.List;
import org.loginwarden.core.Session;
import org.loginwarden.proc.SessionTerminator;

/** Ends sessions before returning: for admin commands, which report what they did. */
public final class ImmediateEnding implements SessionEnding {

  private final SessionTerminator terminator;
  private final Duration grace;
  private final Duration refusedDelay;

  public ImmediateEnding(SessionTerminator terminator, Duration grace, Duration refusedDelay) {
    this.terminator = terminator;
    this.grace = grace;
    this.refusedDelay = refusedDelay;
  }

  @Override
  public void end(List<Session> sessions, Session refused) {
    if (!sessions.isEmpty()) {
      terminator.end(sessions, grace);
    }
    // A refused client is told why on its channel; give it that long to read it and leave.
    if (refused != null && !terminator.awaitGone(refused, refusedDelay)) {
      terminator.end(List.of(refused), grace);
    }
  }
}
