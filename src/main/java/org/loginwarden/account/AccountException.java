package org.loginwarden.account;

/** The system account database could not be read or changed. One line, for admins. */
public final class AccountException extends Exception {
  private static final long serialVersionUID = 1L;

  public AccountException(String message) {
    super(message);
  }
}
