package io.hexgate.operator.policy.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.generator.annotation.Size;
import java.util.List;

/** The peer members shared by {@code ingress} and {@code ingressDeny} elements. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public abstract class IngressPeers {
  public List<EndpointSelector> fromEndpoints;

  /** Removed upstream in 1.19 and kept as an always-empty list, so old policies still apply. */
  @Size(max = 0)
  public List<String> fromRequires;

  /** Entity names ({@link Entity#yaml()}); strings so that an unknown one is reported, not dropped. */
  @SchemaFrom(type = Entity[].class)
  public List<String> fromEntities;
  public List<String> fromCIDR;
  public List<CidrRule> fromCIDRSet;
  public List<EndpointSelector> fromNodes;
  public List<GroupsRule> fromGroups;
  public List<IcmpRule> icmps;
}
