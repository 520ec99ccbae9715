package io.hexgate.operator.policy.trace;

/** Where an object came from: file, document number (1-based) and the object's kind and name. */
public record Manifest(String file, int document, String kind, String namespace, String name) {
  public String object() {
    String n = namespace == null || namespace.isEmpty() ? name : namespace + "/" + name;
    return kind + " " + n;
  }

  @Override
  public String toString() {
    return file + ": " + object();
  }
}
