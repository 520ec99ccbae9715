package io.hexgate.operator.policy;

/**
 * One validation problem: where it is, as a field path relative to the object (for example {@code
 * spec.ingress[0].toPorts[0].ports[0].port}), and what is wrong with it.
 */
public record FieldError(String path, String message) {

  @Override
  public String toString() {
    return path + ": " + message;
  }
}
