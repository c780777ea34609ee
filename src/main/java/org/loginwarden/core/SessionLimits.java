package org.loginwarden.core;

import java.time.Duration;

/**
 * How long one user's sessions may last, after [user] and [group] sections were resolved.
 * {@link Duration#ZERO} means no limit.
 *
 * @param warnBefore              how long before its end a pty session is warned, once
 * @param foregroundJobIsActivity whether a command running in a pty's foreground (not the
 *                                login shell waiting for input) keeps the session from idling
 */
public record SessionLimits(
    Duration maxSessionTime, Duration idleTimeout, Duration warnBefore,
    boolean foregroundJobIsActivity) {

  public static final SessionLimits NONE =
      new SessionLimits(Duration.ZERO, Duration.ZERO, Duration.ZERO, false);

  public boolean any() {
    return !maxSessionTime.isZero() || !idleTimeout.isZero();
  }
}
