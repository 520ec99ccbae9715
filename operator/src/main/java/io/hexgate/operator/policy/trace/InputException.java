package io.hexgate.operator.policy.trace;

/** Bad input to an offline command: the message names the file, the object and the field. */
public final class InputException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public InputException(String message) {
    super(message);
  }

  public InputException(String message, Throwable cause) {
    super(message, cause);
  }
}
