package org.loginwarden.account;

/**
 * Which names are accounts. In PAM's auth phase the user name is whatever the client typed:
 * only a real account may get a state file, or random names would fill the store.
 */
public interface AccountDirectory {

  /** Whether {@code user} is an account, through whatever sources the system uses. */
  boolean exists(String user) throws AccountException;
}
