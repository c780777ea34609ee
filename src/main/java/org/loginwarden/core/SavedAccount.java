package org.loginwarden.core;

/**
 * What /etc/shadow held before loginwarden locked the account, so that unlock restores it
 * exactly.
 *
 * @param passwordWasLocked the hash already began with '!' (then unlock must leave it locked)
 * @param expire            field 8 of /etc/shadow as it was: days since the epoch, or ""
 */
public record SavedAccount(boolean passwordWasLocked, String expire) {}
