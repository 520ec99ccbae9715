package io.hexgate.observer.filter;

/** A FlowFilter or field mask that cannot be applied as written; the message names the field and value. */
public final class InvalidFilterException extends IllegalArgumentException {
  public InvalidFilterException(String message) {
    super(message);
  }

  public InvalidFilterException(String message, Throwable cause) {
    super(message, cause);
  }
}
