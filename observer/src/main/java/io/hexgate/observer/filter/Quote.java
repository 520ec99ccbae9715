package io.hexgate.observer.filter;

/** A user's value inside an error message, quoted so that empty and blank values show. */
final class Quote {
  private Quote() {}

  static String of(String value) {
    return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }
}
