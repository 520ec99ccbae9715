package io.hexgate.operator.policy.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;

/** Status of a CNP/CCNP, written by the operator alone. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PolicyStatus {
  public List<Condition> conditions;
  public Long observedGeneration;
}
