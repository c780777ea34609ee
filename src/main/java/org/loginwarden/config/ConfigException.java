package org.loginwarden.config;

/**
 * A configuration file that cannot be used. Carries the {@code on_error} value the file set,
 * if that line could be read, so the PAM hook can still honour the admin's choice.
 */
public final class ConfigException extends Exception {
  private static final long serialVersionUID = 1L;
  private final transient OnError onError;

  public ConfigException(String message, OnError onError) {
    super(message);
    this.onError = onError;
  }

  public OnError onError() {
    return onError;
  }
}
