package io.hexgate.operator.install.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.List;
import java.util.Map;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class AgentSpec {
  @JsonPropertyDescription("The agent image. Default: the image the operator was deployed with (its RELATED_IMAGE_AGENT).")
  public String image;

  @JsonPropertyDescription("When the kubelet pulls the agent image: Always, IfNotPresent or Never. Default: Kubernetes' own.")
  @Pattern("^(Always|IfNotPresent|Never)$")
  public String imagePullPolicy;

  @JsonPropertyDescription("CPU and memory requests and limits of the agent container.")
  public ResourceRequirements resources;

  @JsonPropertyDescription("Tolerations of the agent pods. Default: every taint (operator Exists), so every node enforces.")
  public List<Toleration> tolerations;

  @JsonPropertyDescription("Only nodes with these labels run an agent. Default: every node.")
  public Map<String, String> nodeSelector;

  @JsonPropertyDescription("How a change of this resource rolls the agents over the nodes.")
  public UpdateStrategySpec updateStrategy;

  @JsonPropertyDescription("The agents' log level (trace, debug, info, warn, error, off), optionally per logger, e.g. info,io.hexgate.datapath=debug. Default: info.")
  public String logLevel;

  @JsonPropertyDescription("The agents' connection tracking.")
  public ConntrackSpec conntrack;

  @JsonPropertyDescription("The nodes' uplink interfaces, where the agent attaches its programs. Default: eth0.")
  public List<String> uplinks;

  @JsonPropertyDescription("HOST:PORT at which agents reach the operator's agent port. Default: the leading operator pod's IP (it runs with the host's network) and port 4250, so that agents reach it without kube-proxy.")
  @Pattern("^.+:[0-9]+$")
  public String operatorAddress;

  public UpdateStrategySpec updateStrategy() {
    return updateStrategy == null ? new UpdateStrategySpec() : updateStrategy;
  }

  public ConntrackSpec conntrack() {
    return conntrack == null ? new ConntrackSpec() : conntrack;
  }
}
