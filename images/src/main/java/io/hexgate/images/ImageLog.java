package io.hexgate.images;

import com.google.cloud.tools.jib.api.LogEvent;

/** The builder's lines in the Maven log, and Jib's own progress worth reading there. */
final class ImageLog {
  void info(String message) {
    System.out.println("[images] " + message);
  }

  void skip(String what, String reason) {
    System.out.println("[images] SKIPPED " + what + ": " + reason);
  }

  void jib(LogEvent event) {
    if (event.getLevel() == LogEvent.Level.ERROR || event.getLevel() == LogEvent.Level.WARN) {
      System.out.println("[images] jib " + event.getLevel().name().toLowerCase() + ": " + event.getMessage());
    }
  }
}
