package org.loginwarden.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** {@link Main#run} in-process, its output captured, as google-java-format's tests do. */
final class InProcessCli {

  record Result(int code, String out, String err) {}

  private InProcessCli() {}

  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code;
    try (PrintWriter o = new PrintWriter(out); PrintWriter e = new PrintWriter(err)) {
      code = Main.run(args, o, e);
    }
    return new Result(code, out.toString(), err.toString());
  }
}
