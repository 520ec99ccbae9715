package io.hexgate.operator.policy.api;

public enum SelectorOperator {
  In,
  NotIn,
  Exists,
  DoesNotExist
}
