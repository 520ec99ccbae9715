package io.hexgate.operator.install.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.IntOrString;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class UpdateStrategySpec {
  @JsonPropertyDescription("How many nodes may be without a ready agent during a rolling update: a number or a percentage of the nodes. Default: 1. A node keeps enforcing its last state while its agent restarts.")
  public IntOrString maxUnavailable;

  public IntOrString maxUnavailable() {
    return maxUnavailable == null ? new IntOrString(1) : maxUnavailable;
  }
}
