package org.loginwarden.core;

import java.time.Instant;

/**
 * loginwarden's own lock of an account. The {@code account} hook enforces it for every user;
 * for users in /etc/shadow the lock is mirrored there too, with the previous values kept in
 * {@code saved}.
 *
 * @param until  when the lock lifts by itself, or null for "until an admin unlocks"
 * @param reason {@code violations}, {@code admin} or {@code auth_failures} (never mirrored)
 * @param by     who locked: {@code loginwarden} or the admin's login name
 * @param saved  what /etc/shadow held before, or null when it was not touched
 */
public record Lock(Instant since, Instant until, String reason, String by, SavedAccount saved) {

  public boolean activeAt(Instant now) {
    return until == null || now.isBefore(until);
  }

  public Lock withSaved(SavedAccount account) {
    return new Lock(since, until, reason, by, account);
  }
}
