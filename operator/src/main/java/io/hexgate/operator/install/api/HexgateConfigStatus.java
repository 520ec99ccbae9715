package io.hexgate.operator.install.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class HexgateConfigStatus {
  @JsonPropertyDescription("The generation of the spec this status describes.")
  public Long observedGeneration;

  @JsonPropertyDescription("Nodes that should run an agent.")
  public Integer desiredAgents;

  @JsonPropertyDescription("Agents running and ready.")
  public Integer readyAgents;

  @JsonPropertyDescription("Agents running the current spec.")
  public Integer updatedAgents;

  @JsonPropertyDescription("Agents connected to the operator whose node's kernel enforces policy (the eBPF datapath loaded).")
  public Integer enforcingAgents;

  @JsonPropertyDescription("Available: every desired agent is ready. Progressing: a rollout is under way. Degraded: something keeps the agents from running as asked, or this resource is ignored.")
  public List<Condition> conditions = new ArrayList<>();

  @Override
  public boolean equals(Object o) {
    return o instanceof HexgateConfigStatus s
        && Objects.equals(observedGeneration, s.observedGeneration)
        && Objects.equals(desiredAgents, s.desiredAgents)
        && Objects.equals(readyAgents, s.readyAgents)
        && Objects.equals(updatedAgents, s.updatedAgents)
        && Objects.equals(enforcingAgents, s.enforcingAgents)
        && Objects.equals(conditions, s.conditions);
  }

  @Override
  public int hashCode() {
    return Objects.hash(observedGeneration, desiredAgents, readyAgents, updatedAgents, enforcingAgents, conditions);
  }
}
