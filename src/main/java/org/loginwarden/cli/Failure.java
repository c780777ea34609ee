package org.loginwarden.cli;

/** A command failed for a reason the admin can act on: one line, one exit code. */
final class Failure extends RuntimeException {
  private static final long serialVersionUID = 1L;
  final transient ExitCode code;

  Failure(ExitCode code, String message) {
    super(message, null, false, false);
    this.code = code;
  }
}
