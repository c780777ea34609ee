package org.loginwarden.core;

/** What a login over the limit does to the sessions already there. */
public enum OnViolation {
  /** End every live session of the user and refuse the new one: we cannot tell who is who. */
  KICK_ALL,
  /** Refuse only the new login; the sessions already there keep running. */
  REFUSE_NEW
}
