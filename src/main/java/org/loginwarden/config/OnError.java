package org.loginwarden.config;

/** What the PAM hook answers when loginwarden itself fails (store, config, bad input). */
public enum OnError {
  /** Let the login through: loginwarden never locks people out by its own failure. */
  OPEN,
  /** Refuse the login, except root's. */
  CLOSED
}
