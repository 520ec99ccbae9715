package io.hexgate.operator.policy.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** One policy rule: the body of {@code spec} and of each {@code specs} element. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Rule {
  public EndpointSelector endpointSelector;
  public EndpointSelector nodeSelector;
  public List<IngressRule> ingress;
  public List<IngressDenyRule> ingressDeny;
  public List<EgressRule> egress;
  public List<EgressDenyRule> egressDeny;
  public List<RuleLabel> labels;
  public String description;
  public DefaultDeny enableDefaultDeny;
  public LogConfig log;
}
