package io.hexgate.operator.policy;

public enum Direction {
  INGRESS,
  EGRESS;

  public String lower() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
