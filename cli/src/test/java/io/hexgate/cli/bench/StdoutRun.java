package io.hexgate.cli.bench;

import io.hexgate.cli.HexgateCli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** One {@code hexgate} command run in this JVM: its exit code and what it printed on standard output. */
record StdoutRun(int code, String out) {
  static StdoutRun of(String... args) {
    PrintStream out = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    int code;
    try {
      System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
      code = HexgateCli.commandLine().execute(args);
    } finally {
      System.setOut(out);
    }
    return new StdoutRun(code, buf.toString(StandardCharsets.UTF_8));
  }
}
