package org.loginwarden.pam;

/** The PAM environment cannot be used as it is (a missing or hostile variable). */
public final class PamInputException extends Exception {
  private static final long serialVersionUID = 1L;

  public PamInputException(String message) {
    super(message);
  }
}
