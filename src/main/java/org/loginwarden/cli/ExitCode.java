package org.loginwarden.cli;

/**
 * Every exit status loginwarden returns, in one place; {@code --help} and the README list
 * them. For {@code pam}, 0 lets PAM go on and anything else refuses the login.
 */
public enum ExitCode {
  OK(0, "success; for pam: let the login go on"),
  REFUSED(1, "pam: login refused (over the limit, or account locked)"),
  USAGE(2, "bad command line"),
  CONFIG(3, "configuration file unusable"),
  STATE(4, "state store unusable: lock timeout, corrupt or unsafe file, disk full"),
  PERMISSION(5, "needs root"),
  INPUT(6, "pam: PAM environment missing or hostile"),
  SOFTWARE(7, "internal error"),
  UNHEALTHY(8, "doctor: at least one check failed");

  public final int code;
  public final String meaning;

  ExitCode(int code, String meaning) {
    this.code = code;
    this.meaning = meaning;
  }

  /** The table picocli shows under "Exit codes:" in --help. */
  static java.util.Map<String, String> helpList() {
    java.util.Map<String, String> out = new java.util.LinkedHashMap<>();
    for (ExitCode e : values()) {
      out.put(Integer.toString(e.code), e.meaning);
    }
    return out;
  }
}
