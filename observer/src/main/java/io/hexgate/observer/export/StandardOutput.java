package io.hexgate.observer.export;

import java.io.PrintStream;

/** Hubble's {@code stdout} export path: lines go to the agent's standard output, never rotated. */
final class StandardOutput implements LineSink {
  private final PrintStream out;

  StandardOutput(PrintStream out) {
    this.out = out;
  }

  @Override
  public void write(String line) {
    out.println(line);
  }

  @Override
  public void flush() {
    out.flush();
  }

  @Override
  public void close() {
    out.flush(); // the agent's stdout outlives the exporter
  }
}
