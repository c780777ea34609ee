package org.loginwarden.core;

import java.time.Duration;
import java.time.Instant;

/**
 * When a session will be ended by a time limit, and by which.
 *
 * @param limit {@code max_session_time} or {@code idle_timeout}
 */
public record Deadline(Instant at, String limit) {

  /** The earlier of the session's two limits, or null when neither applies. */
  public static Deadline of(Session s, Instant lastActive, SessionLimits limits) {
    Deadline byAge = limits.maxSessionTime().isZero() ? null
        : new Deadline(s.opened().plus(limits.maxSessionTime()), "max_session_time");
    Deadline byIdle = limits.idleTimeout().isZero() ? null
        : new Deadline(lastActive.plus(limits.idleTimeout()), "idle_timeout");
    if (byAge == null) {
      return byIdle;
    }
    return byIdle != null && byIdle.at.isBefore(byAge.at) ? byIdle : byAge;
  }

  /** What a warning says of this limit: "idle for 14 min" or "it reaches its 8 h limit". */
  public String why(Instant lastActive, SessionLimits limits, Instant now) {
    return limit.equals("idle_timeout")
        ? "idle for " + Durations.human(Duration.between(lastActive, now))
        : "it reaches its " + Durations.human(limits.maxSessionTime()) + " limit";
  }
}
