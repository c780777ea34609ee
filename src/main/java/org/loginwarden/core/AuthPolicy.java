package org.loginwarden.core;

import java.time.Duration;

/**
 * The failed-login limits for one user, after [user] and [group] sections were resolved.
 *
 * @param failures         failed logins within {@code window} that lock the account; 0 = off
 * @param lockout          how long a failure lockout lasts; {@link Duration#ZERO} = until unlocked
 * @param backoffThreshold failures let through without delay
 * @param backoffFactor    the delay added per failure past the threshold
 * @param consoleExempt    a login on a local terminal is never counted nor refused by a lockout
 */
public record AuthPolicy(
    int failures,
    Duration window,
    Duration lockout,
    int backoffThreshold,
    Duration backoffFactor,
    boolean consoleExempt) {

  /** Nothing counted: the built-in defaults with {@code auth_failures = 0}. */
  public static final AuthPolicy OFF = new AuthPolicy(0, Duration.ofMinutes(15),
      Duration.ofMinutes(15), 2, Duration.ofSeconds(5), true);

  /** Whether failed logins are counted at all. */
  public boolean counts() {
    return failures > 0;
  }
}
