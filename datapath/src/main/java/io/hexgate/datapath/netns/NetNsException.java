package io.hexgate.datapath.netns;

/** A network namespace, link or mount operation failed; the message names the object and the cause. */
public final class NetNsException extends RuntimeException {
  public NetNsException(String message) {
    super(message);
  }

  public NetNsException(String message, Throwable cause) {
    super(message, cause);
  }
}
