package org.loginwarden.account;

import org.loginwarden.core.SavedAccount;

/** The system's own account lock, which holds even where loginwarden's PAM lines are absent. */
public interface AccountLocker {

  /** What the account database holds for the user now, or null when the user is not in it. */
  SavedAccount read(String user) throws AccountException;

  /** Locks the password and expires the account, so neither passwords nor keys get in. */
  void lock(String user) throws AccountException;

  /** Puts back exactly what {@link #read} returned before the lock. */
  void restore(String user, SavedAccount saved) throws AccountException;
}
