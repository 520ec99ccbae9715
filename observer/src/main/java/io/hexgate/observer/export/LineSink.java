package io.hexgate.observer.export;

import java.io.Closeable;
import java.io.IOException;

/** Where exported lines go: a rotating file, or standard output. */
interface LineSink extends Closeable {
  /** One line, without its newline. */
  void write(String line) throws IOException;

  /** Makes what was written visible to readers of the file. */
  void flush() throws IOException;
}
