package org.loginwarden.bench;

/** The baseline of the login-latency benchmark: what starting this JVM for nothing costs. */
public final class EmptyMain {
  private EmptyMain() {}

  public static void main(String[] args) {
    // nothing: the JVM's own start and exit are the measurement
  }
}
